import assert from "node:assert/strict";
import { mnistBags } from "./mnist_bags.ts";

Deno.test("mnistBags() makes half the bags positive, each with a 9 marked as its instance label", () => {
  const bags = mnistBags({ count: 40, seed: 2 });
  assert.equal(bags.length, 40);
  assert.equal(bags.filter((b) => b.label === 1).length, 20);
  for (const b of bags) {
    assert.equal(b.dim, 784);
    assert.equal(b.features.length, b.n * 784);
    assert.equal(b.tileLabels!.length, b.n);
    assert.equal(b.tileLabels!.includes(1), b.label === 1);
    assert.ok(b.features.every((x) => x >= 0 && x <= 1), "pixels in [0, 1]");
  }
  const mean = bags.reduce((s, b) => s + b.n, 0) / bags.length;
  assert.ok(mean > 8.5 && mean < 11.5, `mean bag size ${mean} near 10`);
});

Deno.test("mnistBags() is seeded and never puts one image in two bags", () => {
  const a = mnistBags({ count: 30, seed: 5 });
  const b = mnistBags({ count: 30, seed: 5 });
  assert.deepEqual(a.map((x) => x.features), b.map((x) => x.features));
  const c = mnistBags({ count: 30, seed: 6 });
  assert.notDeepEqual(a.map((x) => x.n), c.map((x) => x.n));
  const seen = new Set<string>();
  let instances = 0;
  for (const bag of a) {
    for (let j = 0; j < bag.n; j++) {
      seen.add(bag.features.subarray(j * 784, (j + 1) * 784).join(","));
      instances++;
    }
  }
  // A few MNIST images may be pixel-identical; nearly all must differ.
  assert.ok(
    seen.size >= instances - 2,
    `${seen.size} of ${instances} distinct`,
  );
});

Deno.test("mnistBags() says what it needs when the digits run out or options are wrong", () => {
  assert.throws(
    () => mnistBags({ count: 1 }),
    /count must be an integer ≥ 2: current value is 1/,
  );
  assert.throws(
    () => mnistBags({ target: 12 }),
    /target must be a digit 0–9: current value is 12/,
  );
  assert.throws(
    () => mnistBags({ count: 400, meanSize: 40, seed: 1 }),
    /ran out of images of digit \d/,
  );
});
