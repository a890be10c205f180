import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSyntheticCohort } from "./cohort.ts";
import { shardOf } from "../../core/shard.ts";

async function files(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && !e.name.startsWith("cohort.shard-")) {
      out.set(e.name, await Deno.readFile(join(dir, e.name)));
    }
  }
  return out;
}

Deno.test({
  name:
    "writeSyntheticCohort() in 2 shards writes each shard's slides only, the whole labels.csv from the first shard on, and together the same files as one process",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const options = { slides: 4, seed: 5, sides: [1024], concurrency: 1 };
      const sharded = join(dir, "sharded"), single = join(dir, "single");
      const first = await writeSyntheticCohort({
        ...options,
        outDir: sharded,
        shard: { index: 0, count: 2 },
      });
      const ids = ["synth_000", "synth_001", "synth_002", "synth_003"];
      assert.deepEqual(
        first.slides.map((s) => s.id),
        ids.filter((id) => shardOf(id, 2) === 0),
      );
      const labels = await Deno.readTextFile(join(sharded, "labels.csv"));
      assert.equal(labels.trim().split("\n").length, 5, labels);
      await assert.rejects(Deno.stat(join(sharded, "cohort.json")));
      await writeSyntheticCohort({
        ...options,
        outDir: sharded,
        shard: { index: 1, count: 2 },
      });
      await writeSyntheticCohort({ ...options, outDir: single });
      const got = await files(sharded), want = await files(single);
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
      for (const [name, bytes] of want) {
        assert.deepEqual(got.get(name), bytes, name);
      }
      // A rerun of a finished shard, or of the whole cohort, reuses it.
      const rerun = await writeSyntheticCohort({
        ...options,
        outDir: sharded,
        shard: { index: 1, count: 2 },
      });
      assert.equal(rerun.reused, true);
      assert.equal(
        (await writeSyntheticCohort({ ...options, outDir: sharded })).reused,
        true,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
