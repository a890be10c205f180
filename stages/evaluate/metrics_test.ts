import assert from "node:assert/strict";
import { binaryAuc, classificationMetrics, rocAuc } from "./metrics.ts";

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
