import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import type { Bag } from "../../core/types.ts";
import {
  type BagSource,
  BagSourceStream,
  cachedBagSource,
  cohortBytes,
  memoryBagSource,
  withSplits,
} from "./bag_source.ts";
import { bagsFromStore, StoreBagSource } from "./bags_from_store.ts";

function bag(id: string, n = 2, dim = 3, label = 0): Bag {
  return {
    slideId: id,
    features: Float32Array.from({ length: n * dim }, (_, i) => i),
    n,
    dim,
    label,
    split: "train",
  };
}

/** A memory source that counts reads in flight and in total. */
function countingSource(bags: Bag[], delayMs = 5) {
  const inner = memoryBagSource(bags);
  const stats = { inFlight: 0, maxInFlight: 0, reads: 0 };
  const source: BagSource = {
    infos: inner.infos,
    async read(id) {
      stats.reads++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      await new Promise((r) => setTimeout(r, delayMs));
      stats.inFlight--;
      return await inner.read(id);
    },
  };
  return { source, stats };
}

Deno.test("BagSourceStream yields the bags in the order asked, with at most prefetch + 1 reads in flight", async () => {
  const bags = Array.from({ length: 8 }, (_, i) => bag(`s${i}`));
  const { source, stats } = countingSource(bags);
  const order = ["s5", "s1", "s7", "s0", "s3", "s2", "s6", "s4"];
  const seen: string[] = [];
  for await (const b of new BagSourceStream(source, order, { prefetch: 2 })) {
    seen.push(b.slideId);
    await new Promise((r) => setTimeout(r, 10)); // the consumer's work
  }
  assert.deepEqual(seen, order);
  assert.equal(stats.reads, 8);
  assert.ok(stats.maxInFlight <= 3, `in flight: ${stats.maxInFlight}`);
  assert.ok(stats.maxInFlight >= 2, "reads overlap the consumer's work");
});

Deno.test("BagSourceStream surfaces a failed read in order and rejects a bad prefetch", async () => {
  const source = memoryBagSource([bag("a")]);
  const stream = new BagSourceStream(source, ["a", "missing"]);
  const got: string[] = [];
  await assert.rejects(async () => {
    for await (const b of stream) got.push(b.slideId);
  }, /No bag for slide "missing"/);
  assert.deepEqual(got, ["a"]);
  assert.throws(
    () => new BagSourceStream(source, [], { prefetch: -1 }),
    /prefetch must be a non-negative integer: current value is -1/,
  );
});

Deno.test("cachedBagSource() keeps a cohort that fits its budget after one read, and streams one that does not", async () => {
  const bags = [bag("a", 2, 3), bag("b", 2, 3), bag("c", 2, 3)];
  const bytes = cohortBytes(memoryBagSource(bags).infos);
  for (const [budget, reads] of [[bytes, 3], [bytes - 1, 9]] as const) {
    const { source, stats } = countingSource(bags, 0);
    const cached = cachedBagSource(source, budget);
    for (let round = 0; round < 3; round++) {
      for (const id of ["a", "b", "c"]) await cached.read(id);
    }
    assert.equal(stats.reads, reads, `budget ${budget} of ${bytes} bytes`);
  }
  assert.throws(
    () => cachedBagSource(memoryBagSource(bags), -1),
    /non-negative/,
  );
});

Deno.test("withSplits() changes splits in the metadata and in the bags read", async () => {
  const source = withSplits(
    memoryBagSource([bag("a"), bag("b")]),
    new Map([["b", "test"]]),
  );
  assert.deepEqual(source.infos.map((i) => i.split), ["train", "test"]);
  assert.equal((await source.read("b")).split, "test");
  assert.equal((await source.read("a")).split, "train");
  assert.throws(
    () => memoryBagSource([bag("a"), bag("a")]),
    /distinct slide ids: "a" appears twice/,
  );
});

async function storeWith(slides: number, tilesPerSlide: number, dim: number) {
  const store = await Store.open(":memory:");
  for (let s = 0; s < slides; s++) {
    await store.transaction(async (tx) => {
      await tx.upsertSlide({ id: `s${s}`, path: `s${s}.tiff`, label: s % 2 });
      await tx.replaceTiles(
        `s${s}`,
        Array.from({ length: tilesPerSlide }, (_, t) => ({
          tile: t,
          x: 256 * t,
          y: 512 * s,
          size: 256,
          level: 0,
          label: t === 0 ? 1 : null,
        })),
      );
      // Written in reverse tile order: reads must come back in tile order.
      await tx.replaceEmbeddings(
        `s${s}`,
        "enc",
        Array.from({ length: tilesPerSlide }, (_, k) => {
          const t = tilesPerSlide - 1 - k;
          return {
            tile: t,
            features: Float32Array.from(
              { length: dim },
              (_, j) => s * 1000 + t * 10 + j,
            ),
          };
        }),
      );
    });
  }
  return store;
}

Deno.test("StoreBagSource reads one slide's features, coordinates and tile labels in tile order", async () => {
  const store = await storeWith(3, 2500, 4); // more than one DuckDB chunk
  const source = await StoreBagSource.open(store, { defaultSplit: "train" });
  assert.deepEqual(source.infos.map((i) => [i.slideId, i.n, i.dim, i.label]), [
    ["s0", 2500, 4, 0],
    ["s1", 2500, 4, 1],
    ["s2", 2500, 4, 0],
  ]);
  const b = await source.read("s1");
  assert.deepEqual(Array.from(b.features.subarray(0, 8)), [
    1000,
    1001,
    1002,
    1003,
    1010,
    1011,
    1012,
    1013,
  ]);
  assert.equal(b.features[2499 * 4 + 3], 1000 + 24990 + 3);
  assert.deepEqual(Array.from(b.coords!.subarray(0, 4)), [0, 512, 256, 512]);
  assert.equal(b.tileLabels![0], 1);
  assert.equal(b.tileLabels!.reduce((s, x) => s + x, 0), 1);
  const all = await bagsFromStore(store, { defaultSplit: "train" });
  assert.deepEqual(all[1]!.features, b.features);
  await assert.rejects(source.read("nope"), /Slide "nope" has no embeddings/);
  store.close();
});

Deno.test("StoreBagSource names the slide and tile of a non-finite feature", async () => {
  const store = await storeWith(1, 3, 2);
  await store.transaction((tx) =>
    tx.replaceEmbeddings("s0", "enc", [
      { tile: 0, features: [1, 2] },
      { tile: 1, features: [3, NaN] },
      { tile: 2, features: [5, 6] },
    ])
  );
  const source = await StoreBagSource.open(store, { defaultSplit: "train" });
  await assert.rejects(
    source.read("s0"),
    /Slide "s0": tile 1 has a non-finite feature \(NaN\) at dimension 1/,
  );
  store.close();
});
