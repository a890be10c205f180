import assert from "node:assert/strict";
import { featureBags } from "./feature_bags.ts";

Deno.test("featureBags() is reproducible from its seed", () => {
  const a = featureBags({ seed: 5 }), b = featureBags({ seed: 5 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0]?.features, featureBags({ seed: 6 })[0]?.features);
});

Deno.test("featureBags() sizes bags within [minInstances, maxInstances]", () => {
  const bags = featureBags({ count: 50, minInstances: 5, maxInstances: 9 });
  for (const bag of bags) {
    assert.ok(bag.n >= 5 && bag.n <= 9);
    assert.equal(bag.features.length, bag.n * bag.dim);
  }
  assert.ok(new Set(bags.map((b) => b.n)).size > 1);
});

Deno.test("featureBags() balances classes and stratifies the splits", () => {
  const bags = featureBags({ count: 40 });
  for (const label of [0, 1]) {
    const members = bags.filter((b) => b.label === label);
    assert.equal(members.length, 20);
    assert.equal(members.filter((b) => b.split === "train").length, 12);
    assert.equal(members.filter((b) => b.split === "val").length, 4);
    assert.equal(members.filter((b) => b.split === "test").length, 4);
  }
  assert.equal(new Set(bags.map((b) => b.slideId)).size, 40);
});

Deno.test("featureBags() puts witnesses only in positive bags, shifted on the informative dims", () => {
  const dim = 16, informativeDims = 4, shift = 6;
  const bags = featureBags({
    count: 60,
    dim,
    informativeDims,
    shift,
    witnessFraction: 0.2,
    clusters: 1,
    clusterSpread: 0,
  });
  const sums = { witness: [0, 0], other: [0, 0] }; // [informative, rest] means
  let witnesses = 0, others = 0;
  for (const bag of bags) {
    const tiles = bag.tileLabels as Int8Array;
    const count = tiles.reduce((a, b) => a + b, 0);
    if (bag.label === 0) assert.equal(count, 0);
    else assert.equal(count, Math.max(1, Math.round(0.2 * bag.n)));
    for (let j = 0; j < bag.n; j++) {
      const row = bag.features.subarray(j * dim, (j + 1) * dim);
      const informative = row.slice(0, informativeDims).reduce((a, b) =>
        a + b, 0) / informativeDims;
      const rest = row.slice(informativeDims).reduce((a, b) =>
        a + b, 0) / (dim - informativeDims);
      const target = tiles[j] ? sums.witness : sums.other;
      target[0] = (target[0] as number) + informative;
      target[1] = (target[1] as number) + rest;
      if (tiles[j]) {
        witnesses++;
      } else others++;
    }
  }
  const perDim = shift / Math.sqrt(informativeDims);
  assert.ok(Math.abs((sums.witness[0] as number) / witnesses - perDim) < 0.3);
  assert.ok(Math.abs((sums.witness[1] as number) / witnesses) < 0.3);
  assert.ok(Math.abs((sums.other[0] as number) / others) < 0.1);
});

Deno.test("featureBags() gives each class its own witness direction", () => {
  const bags = featureBags({
    count: 30,
    numClasses: 3,
    dim: 12,
    informativeDims: 3,
    shift: 8,
    clusterSpread: 0,
  });
  for (const bag of bags.filter((b) => b.label > 0)) {
    const tiles = bag.tileLabels as Int8Array;
    const j = tiles.findIndex((t) => t > 0);
    assert.equal(tiles[j], bag.label);
    const row = bag.features.subarray(j * 12, (j + 1) * 12);
    const block = (bag.label - 1) * 3;
    const inBlock = row.slice(block, block + 3).reduce((a, b) => a + b, 0);
    assert.ok(
      inBlock > 3 * 8 / Math.sqrt(3) - 6,
      `witness of class ${bag.label} not shifted`,
    );
  }
});

Deno.test("featureBags() rejects impossible options with the value seen", () => {
  assert.throws(
    () => featureBags({ minInstances: 10, maxInstances: 5 }),
    /maxInstances must be an integer ≥ 10: current value is 5/,
  );
  assert.throws(
    () => featureBags({ dim: 4, informativeDims: 8 }),
    /informativeDims must be ≤ dim \(4\): current value is 8/,
  );
  assert.throws(
    () => featureBags({ numClasses: 3, classFractions: [1, 1] }),
    /must have numClasses \(3\) entries: got 2/,
  );
});
