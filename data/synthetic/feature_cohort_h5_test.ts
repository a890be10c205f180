import assert from "node:assert/strict";
import { join } from "node:path";
import { Store } from "../store.ts";
import { bagsFromStore } from "../../stages/bag/bags_from_store.ts";
import { importFeatures } from "../../stages/embed/import_features.ts";
import { FeatureCohort } from "./feature_cohort.ts";
import { writeFeatureCohortH5 } from "./feature_cohort_h5.ts";

const OPTIONS = {
  slides: 3,
  minTiles: 40,
  maxTiles: 60,
  dim: 5,
  minTumourFraction: 0.05,
  maxTumourFraction: 0.1,
  seed: 8,
};

Deno.test("writeFeatureCohortH5() writes CLAM files and a labels CSV that import as the generated bags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-feature-cohort-" });
  const store = await Store.open(":memory:");
  try {
    const cohort = new FeatureCohort(OPTIONS);
    const summary = await writeFeatureCohortH5(cohort, dir);
    assert.deepEqual(summary.written, cohort.ids);
    const files = cohort.ids.map((id) => join(dir, `${id}.h5`));
    await importFeatures({
      files,
      format: "clam",
      labels: summary.labelsPath,
      encoder: "synthetic",
      store,
    });
    const bags = await bagsFromStore(store, { encoder: "synthetic" });
    assert.deepEqual(bags.map((b) => b.slideId), cohort.ids);
    for (const [i, bag] of bags.entries()) {
      const slide = cohort.slide(i);
      assert.equal(bag.label, slide.label);
      assert.equal(bag.split, slide.split);
      assert.deepEqual(bag.features, slide.features);
      assert.deepEqual(bag.coords, slide.coords);
    }
    const [tile] = await store.query("SELECT DISTINCT size FROM tiles");
    assert.equal(Number(tile?.size), 256);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFeatureCohortH5() skips finished files and refuses a folder of another cohort", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-feature-cohort-" });
  try {
    const cohort = new FeatureCohort(OPTIONS);
    await writeFeatureCohortH5(cohort, dir);
    await Deno.remove(join(dir, `${cohort.ids[1]}.h5`));
    const again = await writeFeatureCohortH5(cohort, dir);
    assert.deepEqual(again.written, [cohort.ids[1]]);
    assert.equal(again.skipped.length, 2);
    await assert.rejects(
      () =>
        writeFeatureCohortH5(new FeatureCohort({ ...OPTIONS, dim: 6 }), dir),
      /holds a feature cohort generated with other options/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
