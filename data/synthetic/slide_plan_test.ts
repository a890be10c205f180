import assert from "node:assert/strict";
import { planSlide } from "./slide_plan.ts";

Deno.test("planSlide() puts 0.5–10 % tumour inside the tissue of a positive slide", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const plan = planSlide({ width: 2048, height: 2048, positive: true }, seed);
    assert.ok(
      plan.tumourFraction >= 0.004 && plan.tumourFraction <= 0.12,
      `seed ${seed}: ${plan.tumourFraction}`,
    );
    for (let i = 0; i < plan.tumour.length; i++) {
      if (plan.tumour[i]) {
        assert.equal(plan.tissue[i], 255, `tumour outside tissue at ${i}`);
      }
    }
  }
});

Deno.test("planSlide() gives a negative slide no tumour and an islandless slide no tissue", () => {
  const negative = planSlide({ width: 1024, height: 1024, positive: false }, 9);
  assert.equal(negative.tumourFraction, 0);
  assert.ok(negative.tumour.every((v) => v === 0));
  assert.ok(negative.tissueArea > 0.05);
  const glass = planSlide({
    width: 1024,
    height: 1024,
    positive: true,
    islands: 0,
  }, 9);
  assert.equal(glass.tissueArea, 0);
  assert.equal(glass.tumourFraction, 0);
});

Deno.test("planSlide() is deterministic per seed and differs across seeds", () => {
  const a = planSlide({ width: 1024, height: 1536, positive: true }, 42);
  const b = planSlide({ width: 1024, height: 1536, positive: true }, 42);
  const c = planSlide({ width: 1024, height: 1536, positive: true }, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.tissue, c.tissue);
});

Deno.test("planSlide() rejects sizes that are not multiples of 512", () => {
  assert.throws(
    () => planSlide({ width: 1000, height: 1024, positive: false }, 1),
    /multiples of 512.*1000×1024/,
  );
});
