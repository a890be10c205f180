import assert from "node:assert/strict";
import {
  attentionEntropy,
  averageRanks,
  effectivePatches,
  jsDivergence,
  localisationAuc,
  spearmanRank,
  topkIndices,
  topkOverlap,
  uniform,
} from "./attention_measures.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("jsDivergence() matches the hand-computed value and is bounded by ln 2", () => {
  // p = [0.5, 0.5], q = [1, 0], m = [0.75, 0.25]
  const byHand =
    0.5 * (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25)) +
    0.5 * Math.log(1 / 0.75);
  close(jsDivergence([0.5, 0.5], [1, 0]), byHand, 1e-7);
  close(jsDivergence([1, 0], [0, 1]), Math.LN2, 1e-7);
  assert.equal(jsDivergence([0.3, 0.7], [0.3, 0.7]), 0);
  assert.throws(() => jsDivergence([1], [0.5, 0.5]), /lengths are 1 and 2/);
});

Deno.test("attentionEntropy() and effectivePatches() give n for uniform and 1 for one-hot", () => {
  close(attentionEntropy(uniform(4)), Math.log(4), 1e-7);
  close(effectivePatches(uniform(4)), 4, 1e-6);
  close(effectivePatches([1, 0, 0]), 1, 1e-7);
  const byHand =
    -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1));
  close(attentionEntropy([0.7, 0.2, 0.1]), byHand, 1e-7);
});

Deno.test("topkIndices() breaks ties towards the later tile and topkOverlap() counts shared tiles", () => {
  assert.deepEqual(topkIndices([0.2, 0.4, 0.4, 0.0], 2), [2, 1]);
  assert.deepEqual(topkIndices([0.25, 0.25, 0.25, 0.25], 1), [3]);
  close(topkOverlap([0.3, 0.1, 0.1, 0.5], [0.1, 0.3, 0.1, 0.5], 2), 0.5);
  close(topkOverlap([0.9, 0.1], [0.1, 0.9], 1), 0);
  // k beyond the tile count divides by the tile count.
  close(topkOverlap([0.9, 0.1], [0.1, 0.9], 5), 1);
  assert.throws(() => topkIndices([0.5, 0.5], 0), /current value is 0/);
});

Deno.test("spearmanRank() averages tied ranks and is NaN for a constant distribution", () => {
  assert.deepEqual(averageRanks([0.3, 0.1, 0.3, 0.5]), [2.5, 1, 2.5, 4]);
  // ranks [1,2,3,4] vs [1,3,2,4]: 1 − 6·Σd²/(n(n²−1)) = 1 − 6·2/60 = 0.8
  close(spearmanRank([0.1, 0.2, 0.3, 0.4], [0.1, 0.3, 0.2, 0.4]), 0.8, 1e-12);
  close(spearmanRank([0.1, 0.2, 0.3], [0.3, 0.2, 0.1]), -1, 1e-12);
  // a = [1, 2.5, 2.5, 4] vs b = [1, 2, 3, 4]: centred a·b = 4.5, |a|² = 4.5, |b|² = 5
  close(
    spearmanRank([0.1, 0.2, 0.2, 0.5], [1, 2, 3, 4]),
    4.5 / Math.sqrt(4.5 * 5),
    1e-12,
  );
  assert.ok(Number.isNaN(spearmanRank(uniform(3), [0.2, 0.3, 0.5])));
});

Deno.test("localisationAuc() ranks tumour tiles against the rest and skips unlabelled tiles", () => {
  // tumour {0.4, 0.2} vs other {0.1, 0.2}: (1 + 1 + ½ + 1)/4 = 0.875
  close(localisationAuc([0.4, 0.2, 0.1, 0.2, 0.9], [1, 1, 0, 0, null]), 0.875);
  assert.ok(Number.isNaN(localisationAuc([0.5, 0.5], [0, 0])));
});
