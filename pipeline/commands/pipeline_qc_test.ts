import assert from "node:assert/strict";
import { isAbsolute, join } from "node:path";
import { commandContext } from "../cli_context.ts";
import { tileAndEmbed } from "./pipeline.ts";
import { Store } from "../../data/store.ts";

async function entries(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

for (const qc of [true, false]) {
  Deno.test({
    name: `the pipeline's tile stage ${
      qc
        ? "writes QC images beside the store"
        : "writes none with tile.qc false"
    }, and stores absolute slide paths`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "asmil-pipeline-qc-" });
      try {
        const config = join(dir, "config.json");
        await Deno.writeTextFile(config, JSON.stringify({ tile: { qc } }));
        const db = join(dir, "store", "asmil.duckdb");
        const ctx = await commandContext({ db, config, quiet: true });
        const done = await tileAndEmbed(ctx, {
          syntheticSlides: 2,
          syntheticSides: [1024],
        });
        assert.deepEqual(done.failed, []);
        const files = await entries(join(dir, "store", "qc"));
        if (qc) {
          assert.equal(
            files.filter((f) => f.endsWith(".overlay.png")).length,
            2,
          );
          assert.equal(files.filter((f) => f.endsWith(".mask.png")).length, 2);
        } else assert.deepEqual(files, []);
        const store = await Store.open(db, { readOnly: true });
        try {
          const rows = await store.query<{ path: string }>(
            "SELECT path FROM slides",
          );
          assert.equal(rows.length, 2);
          assert.ok(rows.every((r) => isAbsolute(r.path)), String(rows));
        } finally {
          store.close();
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
