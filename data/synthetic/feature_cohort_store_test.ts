import assert from "node:assert/strict";
import { Store } from "../store.ts";
import { bagsFromStore } from "../../stages/bag/bags_from_store.ts";
import { FeatureCohort } from "./feature_cohort.ts";
import {
  SYNTHETIC_FEATURES_ENCODER,
  writeFeatureCohortToStore,
} from "./feature_cohort_store.ts";

const OPTIONS = {
  slides: 4,
  minTiles: 40,
  maxTiles: 60,
  dim: 6,
  minTumourFraction: 0.05,
  maxTumourFraction: 0.1,
  seed: 5,
};

Deno.test("writeFeatureCohortToStore() stores slides, tiles and embeddings that read back as the generated bags", async () => {
  const store = await Store.open(":memory:");
  try {
    const cohort = new FeatureCohort(OPTIONS);
    const summary = await writeFeatureCohortToStore(cohort, store);
    assert.deepEqual(summary.written, cohort.ids);
    const bags = await bagsFromStore(store, {
      encoder: SYNTHETIC_FEATURES_ENCODER,
    });
    assert.equal(bags.length, 4);
    for (const bag of bags) {
      const slide = cohort.slide(cohort.ids.indexOf(bag.slideId));
      assert.equal(bag.n, slide.n);
      assert.equal(bag.label, slide.label);
      assert.equal(bag.split, slide.split);
      assert.deepEqual(bag.features, slide.features);
      assert.deepEqual(bag.coords, slide.coords);
      assert.deepEqual(bag.tileLabels, slide.tileLabels);
    }
    const [tiles] = await store.query(
      "SELECT count(*) AS n, max(size) AS size FROM tiles",
    );
    assert.equal(Number(tiles?.n), summary.tiles);
    assert.equal(Number(tiles?.size), 256);
  } finally {
    store.close();
  }
});

Deno.test("writeFeatureCohortToStore() skips complete slides and writes only the missing ones", async () => {
  const store = await Store.open(":memory:");
  try {
    const cohort = new FeatureCohort(OPTIONS);
    await writeFeatureCohortToStore(cohort, store);
    await store.exec("DELETE FROM embeddings WHERE slide = ?", [
      cohort.ids[2]!,
    ]);
    const seen: string[] = [];
    const again = await writeFeatureCohortToStore(cohort, store, {
      onSlide: (s) => seen.push(`${s.slideId}:${s.status}`),
    });
    assert.deepEqual(again.written, [cohort.ids[2]]);
    assert.equal(again.skipped.length, 3);
    assert.equal(seen.length, 4);
    const [row] = await store.query(
      "SELECT count(*) AS n FROM embeddings WHERE slide = ?",
      [cohort.ids[2]!],
    );
    assert.equal(Number(row?.n), cohort.slide(2).n);
  } finally {
    store.close();
  }
});

Deno.test("writeFeatureCohortToStore() refuses to resume a cohort made with other options", async () => {
  const store = await Store.open(":memory:");
  try {
    await writeFeatureCohortToStore(new FeatureCohort(OPTIONS), store);
    await assert.rejects(
      () =>
        writeFeatureCohortToStore(
          new FeatureCohort({ ...OPTIONS, seed: 6 }),
          store,
        ),
      /Encoder name "synthetic-features" stands for another model/,
    );
    const other = await writeFeatureCohortToStore(
      new FeatureCohort({ ...OPTIONS, seed: 6, idPrefix: "other_" }),
      store,
      { encoder: "other-features" },
    );
    assert.equal(other.written.length, 4);
  } finally {
    store.close();
  }
});
