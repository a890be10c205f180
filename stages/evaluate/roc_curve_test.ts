import assert from "node:assert/strict";
import { binaryAuc } from "./metrics.ts";
import { areaUnder, rocCurve, rocCurves } from "./roc_curve.ts";

Deno.test("rocCurve() steps through distinct thresholds and its area is the tie-aware AUC", () => {
  const scores = [0.1, 0.5, 0.5, 0.9], labels = [0, 0, 1, 1];
  const points = rocCurve(scores, labels);
  // ≥0.9: tp 1, fp 0 → (0, ½); ≥0.5: tp 2, fp 1 → (½, 1); ≥0.1 → (1, 1)
  assert.deepEqual(points.map((p) => [p.fpr, p.tpr]), [[0, 0], [0, 0.5], [
    0.5,
    1,
  ], [1, 1]]);
  assert.equal(areaUnder(points), 0.875);
  assert.equal(areaUnder(points), binaryAuc(scores, labels));
  assert.deepEqual(rocCurve([0.3, 0.4], [1, 1]), []);
});

Deno.test("rocCurves() gives one curve for two classes and one per class otherwise", () => {
  assert.equal(
    rocCurves({ probabilities: [[0.2, 0.8], [0.7, 0.3]], labels: [1, 0] })
      .length,
    1,
  );
  const three = rocCurves({
    probabilities: [[0.8, 0.1, 0.1], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6]],
    labels: [0, 1, 2],
  });
  assert.deepEqual(three.map((c) => areaUnder(c.points)), [1, 1, 1]);
});
