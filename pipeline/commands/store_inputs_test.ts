/**
 * Run stores damaged by hand: a lost or edited schema version in `meta` is
 * repaired from the tables (no migration runs twice), and a store caught
 * between two schema versions is refused, untouched, with what it lacks.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { Store } from "../../data/store.ts";
import { SCHEMA_VERSION } from "../../data/schema.ts";
import {
  asmil,
  asmilOk,
  asmilSql,
  sqlArgs,
} from "../../testing/asmil_process.ts";

/** A current store with one slide, then `sql` run on it behind asmil's back. */
async function tampered(sql: string): Promise<{ dir: string; db: string }> {
  const dir = await Deno.makeTempDir({ prefix: "asmil-store-inputs-" });
  const db = `${dir}/s.duckdb`;
  const store = await Store.open(db);
  await store.transaction((tx) =>
    tx.upsertSlide({ id: "s1", path: "/x/s1.tiff", label: 1, status: "tiled" })
  );
  store.close();
  const instance = await DuckDBInstance.create(db);
  const c = await instance.connect();
  await c.run(sql);
  c.closeSync();
  instance.closeSync();
  return { dir, db };
}

/** Rows of `sql`, read without asmil. */
async function raw(db: string, sql: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(db, {
    access_mode: "READ_ONLY",
  });
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const VERSION = "SELECT value FROM meta WHERE key = 'schema_version'";

Deno.test("a store whose meta row is missing or says an older version opens, and a writing open repairs the number", async () => {
  for (
    const [sql, said] of [
      ["DELETE FROM meta WHERE key = 'schema_version'", "none"],
      ["UPDATE meta SET value = '1' WHERE key = 'schema_version'", "1"],
    ] as const
  ) {
    const { dir, db } = await tampered(sql);
    const count = "select count(*) as n from slides";
    assert.equal(await asmilSql(db, count), "n\n1\n");
    const write = await asmilOk(sqlArgs(db, count, { write: true }));
    assert.equal(write.stdout, "n\n1\n");
    assert.doesNotMatch(write.stderr, /Catalog Error|already exists/);
    assert.match(
      write.stderr,
      new RegExp(
        `its meta table said schema version ${said} but its tables are at version ${SCHEMA_VERSION}; the recorded version is repaired`,
      ),
    );
    assert.deepEqual(await raw(db, VERSION), [{
      value: String(SCHEMA_VERSION),
    }]);
    const again = await asmilOk(["--db", db, "sql", "--write", "select 1"]);
    assert.doesNotMatch(again.stderr, /repaired/);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a half-migrated store is refused for writing, naming what it lacks, and left as it was; reading it stays possible", async () => {
  const { dir, db } = await tampered("DROP TABLE attention_history CASCADE");
  const before = await raw(db, `SELECT * FROM meta ORDER BY key`);
  const r = await asmil(["--db", db, "sql", "--write", "select 1"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Run store ".*s\.duckdb" is damaged or half-migrated, so it is not opened: it has view attention.* of schema version 3 but lacks table attention_history \(its meta table says schema version 3\)\. Restore the store from a copy/,
  );
  assert.deepEqual(await raw(db, `SELECT * FROM meta ORDER BY key`), before);
  assert.deepEqual(await raw(db, "SELECT id FROM slides"), [{ id: "s1" }]);
  // Read-only cannot change it, so what is left can still be queried.
  assert.equal(await asmilSql(db, "select id from slides"), "id\ns1\n");
  await Deno.remove(dir, { recursive: true });
});
