import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { MIGRATIONS } from "./schema.ts";
import {
  CATALOG_SQL,
  catalogFromRows,
  detectSchemaVersion,
  type SchemaState,
} from "./schema_state.ts";

/** The state of a fresh database after `sql`. */
async function stateAfter(sql: string): Promise<SchemaState> {
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    if (sql) await c.run(sql);
    const rows = (await c.runAndReadAll(CATALOG_SQL)).getRowObjectsJS();
    return detectSchemaVersion(
      catalogFromRows(rows as { kind: unknown; name: unknown }[]),
    );
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const upTo = (v: number) => MIGRATIONS.slice(0, v).map((m) => m.sql).join("\n");

Deno.test("detectSchemaVersion() reads each migration's version from the catalog alone", async () => {
  assert.deepEqual(await stateAfter(""), { version: 0 });
  assert.deepEqual(
    await stateAfter("CREATE TABLE meta (key VARCHAR, value VARCHAR)"),
    { version: 0 },
  );
  for (const m of MIGRATIONS) {
    assert.deepEqual(await stateAfter(upTo(m.version)), { version: m.version });
  }
});

Deno.test("detectSchemaVersion() calls a store between versions partial, saying what it lacks", async () => {
  const dropped = await stateAfter(
    `${upTo(MIGRATIONS.length)}; DROP TABLE attention_history CASCADE`,
  );
  assert.ok("partial" in dropped);
  assert.match(
    dropped.partial,
    /has view attention, macro attention_level, column epochs\.timing of schema version 3 but lacks table attention_history$/,
  );
  const noEncoders = await stateAfter(
    `${upTo(MIGRATIONS.length)}; DROP TABLE encoders`,
  );
  assert.ok("partial" in noEncoders);
  assert.match(
    noEncoders.partial,
    /has table attention_history, .* of schema version 3 but lacks table encoders of version 2/,
  );
  const leftover = await stateAfter(
    `${upTo(MIGRATIONS.length)}; CREATE TABLE embeddings_v3 (x INTEGER)`,
  );
  assert.ok("partial" in leftover);
  assert.match(leftover.partial, /lacks no leftover table embeddings_v3/);
});
