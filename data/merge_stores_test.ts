import assert from "node:assert/strict";
import { join } from "node:path";
import { Store } from "./store.ts";
import {
  MergeConflictError,
  mergeStores,
  seedShardStore,
} from "./merge_stores.ts";

const PARAMS = (tileSize: number, slideMpp: number | "file" = "file") =>
  JSON.stringify({ v: 1, tileSize, slideMpp });

interface ShardSpec {
  slides: string[];
  tileSize?: number;
  encoder?: { name: string; fingerprint: string; dim?: number };
  run?: string;
  runConfig?: Record<string, unknown>;
}

/** A shard store with `slides`, 3 tiles each, embedded, and optionally a run. */
async function shardStore(path: string, spec: ShardSpec): Promise<string> {
  const store = await Store.open(path);
  const encoder = spec.encoder ?? { name: "enc", fingerprint: "f1" };
  const dim = encoder.dim ?? 4;
  try {
    await store.exec(
      "INSERT INTO encoders (name, fingerprint, source, dim) VALUES (?, ?, 'model.onnx', ?)",
      [encoder.name, encoder.fingerprint, dim],
    );
    for (const [k, id] of spec.slides.entries()) {
      await store.slideTransaction(id, async (tx) => {
        await tx.upsertSlide({
          id,
          path: `/slides/${id}.tiff`,
          label: k % 2,
          status: "tiled",
          tileParams: PARAMS(spec.tileSize ?? 256, k % 2 ? 0.25 : "file"),
        });
        await tx.replaceTiles(
          id,
          [0, 1, 2].map((tile) => ({
            tile,
            x: tile * 256,
            y: 0,
            size: 256,
            level: 0,
          })),
        );
        await tx.replaceEmbeddings(
          id,
          encoder.name,
          [0, 1, 2].map((tile) => ({
            tile,
            features: Float32Array.from(
              { length: dim },
              (_, j) => id.length + tile / 3 + j * 1e-7,
            ),
          })),
        );
      });
    }
    if (spec.run) {
      await store.transaction(async (tx) => {
        await tx.upsertRun({
          id: spec.run!,
          model: "abmil",
          config: spec.runConfig ?? {},
          seed: 0,
        });
        await tx.appendMetrics([{
          run: spec.run!,
          epoch: 1,
          split: "val",
          name: "auc",
          value: 0.9,
        }]);
        await tx.appendAttention([{
          run: spec.run!,
          epoch: 1,
          slide: spec.slides[0]!,
          scores: [0.5, 0.25, 0.25],
        }]);
      });
    }
  } finally {
    store.close();
  }
  return path;
}

async function counts(store: Store): Promise<Record<string, number>> {
  const [row] = await store.query(
    `SELECT (SELECT count(*) FROM slides) AS slides, (SELECT count(*) FROM tiles) AS tiles,
       (SELECT count(*) FROM embeddings) AS embeddings, (SELECT count(*) FROM runs) AS runs,
       (SELECT count(*) FROM metrics) AS metrics, (SELECT count(*) FROM attention_history) AS attention`,
  );
  return row as Record<string, number>;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("mergeStores() copies every shard's slides, tiles, embeddings and runs, and reports them per shard", () =>
  withDir(async (dir) => {
    const a = await shardStore(join(dir, "a.shard-0-of-2.duckdb"), {
      slides: ["s1", "s22"],
      run: "r0",
    });
    const b = await shardStore(join(dir, "a.shard-1-of-2.duckdb"), {
      slides: ["s333"],
      run: "r1",
    });
    const target = await Store.open(join(dir, "a.duckdb"));
    try {
      const summary = await mergeStores(target, [a, b]);
      assert.deepEqual(
        summary.shards.map((
          s,
        ) => [s.slides, s.slidesPresent, s.tiles, s.embeddings, s.runs]),
        [
          [2, 0, 6, [{ encoder: "enc", rows: 6, slides: 2 }], 1],
          [1, 0, 3, [{ encoder: "enc", rows: 3, slides: 1 }], 1],
        ],
      );
      assert.deepEqual(await counts(target), {
        slides: 3,
        tiles: 9,
        embeddings: 9,
        runs: 2,
        metrics: 2,
        attention: 2,
      });
      const [enc] = await target.query(
        "SELECT name, fingerprint, dim FROM encoders",
      );
      assert.deepEqual(enc, { name: "enc", fingerprint: "f1", dim: 4 });
      const [f] = await target.query(
        "SELECT features FROM embeddings WHERE slide = 's22' AND tile = 2",
      );
      assert.deepEqual(
        Float32Array.from(f!.features as number[]),
        Float32Array.from({ length: 4 }, (_, j) => 3 + 2 / 3 + j * 1e-7),
      );
    } finally {
      target.close();
    }
  }));

Deno.test("mergeStores() run again adds nothing (idempotent)", () =>
  withDir(async (dir) => {
    const a = await shardStore(join(dir, "a.shard-0-of-1.duckdb"), {
      slides: ["s1", "s2"],
      run: "r0",
    });
    const target = await Store.open(join(dir, "a.duckdb"));
    try {
      await mergeStores(target, [a]);
      const before = await counts(target);
      const again = await mergeStores(target, [a]);
      assert.deepEqual(await counts(target), before);
      assert.deepEqual(
        again.shards.map((
          s,
        ) => [
          s.slides,
          s.slidesPresent,
          s.tiles,
          s.embeddings,
          s.runs,
          s.runsPresent,
        ]),
        [[0, 2, 0, [], 0, 1]],
      );
    } finally {
      target.close();
    }
  }));

Deno.test("mergeStores() refuses an encoder name standing for another model, naming the shard, and merges none of the shards", () =>
  withDir(async (dir) => {
    const a = await shardStore(join(dir, "x.shard-0-of-2.duckdb"), {
      slides: ["s1"],
    });
    const b = await shardStore(join(dir, "x.shard-1-of-2.duckdb"), {
      slides: ["s2"],
      encoder: { name: "enc", fingerprint: "f2" },
    });
    const target = await Store.open(join(dir, "x.duckdb"));
    try {
      await assert.rejects(
        mergeStores(target, [a, b]),
        (e: Error) => {
          assert.ok(e instanceof MergeConflictError);
          assert.match(
            e.message,
            /Cannot merge shard .*x\.shard-1-of-2\.duckdb: encoder "enc" is model\.onnx \(fingerprint f2, 4 features\) there, but model\.onnx \(fingerprint f1, 4 features\)/,
          );
          return true;
        },
      );
      assert.deepEqual(await counts(target), {
        slides: 0,
        tiles: 0,
        embeddings: 0,
        runs: 0,
        metrics: 0,
        attention: 0,
      });
      // The target stays usable: the good shard merges on its own.
      assert.equal((await mergeStores(target, [a])).shards[0]?.slides, 1);
    } finally {
      target.close();
    }
  }));

Deno.test("mergeStores() refuses shards tiled with other parameters, naming the shard and a slide", () =>
  withDir(async (dir) => {
    const a = await shardStore(join(dir, "y.shard-0-of-2.duckdb"), {
      slides: ["s1", "s2"],
    });
    const b = await shardStore(join(dir, "y.shard-1-of-2.duckdb"), {
      slides: ["s3"],
      tileSize: 224,
    });
    const same = await shardStore(join(dir, "z.shard-0-of-1.duckdb"), {
      slides: ["s1"],
      tileSize: 224,
    });
    const target = await Store.open(join(dir, "y.duckdb"));
    try {
      await assert.rejects(
        mergeStores(target, [a, b]),
        /Cannot merge shard .*y\.shard-1-of-2\.duckdb: its slides \(e\.g\. "s3"\) were tiled with \{"v":1,"tileSize":224\}, but the store's .* with \{"v":1,"tileSize":256\}/,
      );
      await mergeStores(target, [a]);
      await assert.rejects(
        mergeStores(target, [same]),
        /z\.shard-0-of-1\.duckdb: slide "s1" was tiled with .*"tileSize":224.* there, but with .*"tileSize":256/,
      );
    } finally {
      target.close();
    }
  }));

Deno.test("mergeStores() refuses the target itself, a path named twice and a missing file", () =>
  withDir(async (dir) => {
    const a = await shardStore(join(dir, "a.shard-0-of-1.duckdb"), {
      slides: ["s1"],
    });
    const target = await Store.open(join(dir, "a.duckdb"));
    try {
      await assert.rejects(
        mergeStores(target, [join(dir, "a.duckdb")]),
        /it is the store merged into/,
      );
      await assert.rejects(mergeStores(target, [a, a]), /it is named twice/);
      await assert.rejects(
        mergeStores(target, [join(dir, "nope.duckdb")]),
        /nope\.duckdb: no store file there/,
      );
    } finally {
      target.close();
    }
  }));

Deno.test("seedShardStore() copies the main store's tiled slides of the shard, once", () =>
  withDir(async (dir) => {
    const main = await shardStore(join(dir, "m.duckdb"), {
      slides: ["s1", "s2", "s3"],
    });
    const shard = await Store.open(join(dir, "m.shard-0-of-2.duckdb"));
    try {
      assert.equal(await seedShardStore(shard, main, (id) => id !== "s2"), 2);
      assert.equal(await seedShardStore(shard, main, (id) => id !== "s2"), 0);
      const c = await counts(shard);
      assert.equal(c.slides, 2);
      assert.equal(c.tiles, 6);
      assert.equal(c.embeddings, 0);
      assert.equal(
        await seedShardStore(shard, join(dir, "absent.duckdb"), () => true),
        0,
      );
    } finally {
      shard.close();
    }
  }));

Deno.test("mergeStores() refuses a run id that names another run there", () =>
  withDir(async (dir) => {
    const a = await shardStore(join(dir, "g.grid-0.duckdb"), {
      slides: ["s1"],
      run: "abmil-s0",
      runConfig: { lr: 1e-4 },
    });
    const b = await shardStore(join(dir, "g.grid-1.duckdb"), {
      slides: ["s1"],
      run: "abmil-s0",
      runConfig: { lr: 5e-4 },
    });
    const target = await Store.open(join(dir, "g.duckdb"));
    try {
      await assert.rejects(
        mergeStores(target, [a, b]),
        /g\.grid-1\.duckdb: run "abmil-s0" there \(abmil, started .*\) is another run than "abmil-s0" in the store/,
      );
    } finally {
      target.close();
    }
  }));
