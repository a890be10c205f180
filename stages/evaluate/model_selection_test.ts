import assert from "node:assert/strict";
import {
  resolveSelection,
  type SelectionRule,
  selectionScore,
} from "./model_selection.ts";
import { classificationMetrics } from "./metrics.ts";

Deno.test("selectionScore() adds AUC to macro-F1 or to micro-F1 (= accuracy), NaN counting 0", () => {
  // 3 of class 0 predicted right, 1 of class 1 predicted as 0: accuracy
  // 3/4; F1 class 0 = 2·3/(2·3+1) = 6/7, class 1 = 0, macro = 3/7.
  const m = classificationMetrics({
    probabilities: [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]],
    labels: [0, 0, 0, 1],
  });
  assert.ok(Math.abs(m.microF1 - m.accuracy) < 1e-12, "micro-F1 = accuracy");
  assert.ok(Math.abs(selectionScore(m) - (m.auc + 3 / 7)) < 1e-12);
  assert.ok(
    Math.abs(selectionScore(m, "micro-f1") - (m.auc + 3 / 4)) < 1e-12,
  );
  assert.equal(
    selectionScore({ auc: NaN, macroF1: 0.5, accuracy: NaN }, "micro-f1"),
    0,
  );
});

Deno.test('resolveSelection() follows the released scripts per model for "reference"', () => {
  for (const model of ["asmil", "acmil", "dtfd_afs", "dtfd_maxmins"]) {
    assert.equal(resolveSelection("reference", model), "micro-f1", model);
  }
  for (
    const model of ["abmil", "gated_abmil", "clam_sb", "transmil", "dsmil"]
  ) {
    assert.equal(resolveSelection("reference", model), "macro-f1", model);
  }
  assert.equal(resolveSelection("micro-f1", "abmil"), "micro-f1");
  assert.throws(
    () => resolveSelection("f1" as SelectionRule, "abmil"),
    /Selection rule must be one of "macro-f1", "micro-f1", "reference": current value is "f1"/,
  );
});
