import assert from "node:assert/strict";
import {
  binaryAuc,
  bootstrapMetrics,
  classificationMetrics,
  quantile,
  rocAuc,
} from "./metrics.ts";
import { Rng } from "../../core/random.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("binaryAuc() counts tied pairs as one half", () => {
  // Pairs (pos, neg): (0.5,0.1)=1 (0.5,0.5)=½ (0.9,0.1)=1 (0.9,0.5)=1 → 3.5/4
  close(binaryAuc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]), 0.875);
  close(binaryAuc([0.3, 0.3, 0.3], [0, 1, 0]), 0.5);
  close(binaryAuc([0.9, 0.1], [0, 1]), 0);
  assert.ok(Number.isNaN(binaryAuc([0.2, 0.4], [1, 1])));
});

Deno.test("rocAuc() averages one-vs-rest AUCs for more than two classes", () => {
  const probabilities = [
    [0.8, 0.1, 0.1],
    [0.3, 0.4, 0.3],
    [0.2, 0.2, 0.6],
    [0.5, 0.3, 0.2],
  ];
  const labels = [0, 1, 2, 1];
  // class 0: pos {0.8} vs {0.3,0.2,0.5} → 1; class 1: pos {0.4,0.3} vs
  // {0.1,0.2} → 1; class 2: pos {0.6} vs {0.1,0.3,0.2} → 1.
  close(rocAuc({ probabilities, labels }), 1);
  const flipped = [0, 2, 1, 1];
  // class 1: pos {0.2,0.3} vs {0.1,0.4}: (0.2>0.1)(0.2<0.4)(0.3>0.1)(0.3<0.4) → ½
  // class 2: pos {0.3} vs {0.1,0.6,0.2} → 2/3; class 0 → 1
  close(rocAuc({ probabilities, labels: flipped }), (1 + 0.5 + 2 / 3) / 3);
});

Deno.test("classificationMetrics() matches a hand-computed confusion matrix", () => {
  const m = classificationMetrics({
    probabilities: [[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]],
    labels: [0, 0, 1, 1, 1],
  });
  assert.deepEqual(m.confusion, [[1, 1], [1, 2]]);
  close(m.accuracy, 3 / 5);
  close(m.microF1, 3 / 5);
  close(m.precision[0]!, 1 / 2);
  close(m.recall[0]!, 1 / 2);
  close(m.precision[1]!, 2 / 3);
  close(m.recall[1]!, 2 / 3);
  close(m.macroF1, (0.5 + 2 / 3) / 2);
  close(m.balancedAccuracy, (0.5 + 2 / 3) / 2);
  // Scores of class 1: neg {0.1,0.6}, pos {0.7,0.4,0.8} → (2 + 1 + 2)/6
  close(m.auc, 5 / 6);
});

Deno.test("classificationMetrics() gives F1 0 to a class never predicted", () => {
  const m = classificationMetrics({
    probabilities: [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]],
    labels: [0, 1, 1],
  });
  assert.deepEqual(m.confusion, [[1, 0], [2, 0]]);
  close(m.f1[1]!, 0);
  close(m.precision[1]!, 0);
  close(m.f1[0]!, 2 * (1 / 3) * 1 / (1 / 3 + 1));
  close(m.macroF1, m.f1[0]! / 2);
});

Deno.test("classificationMetrics() rejects labels outside the classes", () => {
  assert.throws(
    () => classificationMetrics({ probabilities: [[0.5, 0.5]], labels: [2] }),
    /class index in \[0, 2\): current value is 2/,
  );
});

Deno.test("quantile() interpolates between order statistics", () => {
  close(quantile([1, 2, 3, 4], 0.5), 2.5);
  close(quantile([1, 2, 3, 4], 0), 1);
  close(quantile([1, 2, 3, 4], 1), 4);
  close(quantile([0, 10], 0.025), 0.25);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

function noisyPredictions(n: number, seed: number) {
  const rng = new Rng(seed);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const probabilities = labels.map((l) => {
    const p = 1 / (1 + Math.exp(-((2 * l - 1) + 1.2 * rng.normal())));
    return [1 - p, p];
  });
  return { probabilities, labels };
}

Deno.test("bootstrapMetrics() is deterministic under a seed and its intervals hold the estimates", () => {
  const p = noisyPredictions(40, 5);
  const a = bootstrapMetrics(p, { seed: 11, resamples: 1000 });
  const b = bootstrapMetrics(p, { seed: 11, resamples: 1000 });
  const c = bootstrapMetrics(p, { seed: 12, resamples: 1000 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.auc, c.auc);
  for (
    const name of ["accuracy", "balancedAccuracy", "auc", "macroF1"] as const
  ) {
    const { value, lo, hi } = a[name];
    assert.ok(
      lo <= value && value <= hi,
      `${name}: ${value} not in [${lo}, ${hi}]`,
    );
    assert.ok(hi - lo > 0.05 && hi - lo < 0.6, `${name}: width ${hi - lo}`);
  }
  close(a.auc.value, classificationMetrics(p).auc);
});

Deno.test("bootstrapMetrics() gives the binomial percentile interval when one class is half right", () => {
  // Stratified: class 0 (10 slides) always right, class 1 (10 slides) right
  // half the time, so accuracy = (10 + X) / 20 with X ~ Binomial(10, ½):
  // P(X ≤ 1) ≈ 1.1 %, P(X ≤ 2) ≈ 5.5 % → 2.5 % quantile X = 2 → 0.6;
  // P(X ≥ 9) ≈ 1.1 %, P(X ≥ 8) ≈ 5.5 % → 97.5 % quantile X = 8 → 0.9.
  const labels = [...new Array(10).fill(0), ...new Array(10).fill(1)];
  const probabilities = labels.map((l, i) =>
    l === 0 ? [0.8, 0.2] : i % 2 ? [0.3, 0.7] : [0.6, 0.4]
  );
  const m = bootstrapMetrics({ probabilities, labels }, { seed: 3 });
  close(m.accuracy.value, 0.75);
  close(m.accuracy.lo, 0.6);
  close(m.accuracy.hi, 0.9);
  // Everything right → a degenerate interval at 1.
  const perfect = bootstrapMetrics({
    probabilities: labels.map((l) => (l ? [0.1, 0.9] : [0.9, 0.1])),
    labels,
  }, { seed: 3, resamples: 100 });
  assert.deepEqual(perfect.auc, { value: 1, lo: 1, hi: 1 });
  assert.deepEqual(perfect.macroF1, { value: 1, lo: 1, hi: 1 });
  assert.throws(
    () => bootstrapMetrics({ probabilities, labels }, { resamples: 0 }),
    /current value is 0/,
  );
});
