/**
 * ROC curve points of binary scores: one point per distinct threshold, so
 * tied scores make a diagonal step (the area under the points is the
 * tie-aware AUC of `binaryAuc`).
 *
 * @module
 */

import type { Predictions } from "./metrics.ts";

/** A point of a ROC curve: rates when calling `score ≥ threshold` positive. */
export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

/**
 * ROC points from (0, 0) to (1, 1) for `scores` against `labels` (1 is
 * positive). Empty when a class is absent.
 *
 * @example
 * ```ts
 * import { rocCurve } from "./roc_curve.ts";
 * const pts = rocCurve([0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0]);
 * if (pts.map((p) => `${p.fpr},${p.tpr}`).join(" ") !== "0,0 0,0.5 0.5,0.5 0.5,1 1,1") throw new Error();
 * ```
 */
export function rocCurve(
  scores: readonly number[],
  labels: readonly number[],
): RocPoint[] {
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return [];
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length; i++) {
    const idx = order[i]!;
    if (labels[idx] === 1) tp++;
    else fp++;
    const next = order[i + 1];
    if (next === undefined || scores[next] !== scores[idx]) {
      points.push({
        fpr: fp / negatives,
        tpr: tp / positives,
        threshold: scores[idx]!,
      });
    }
  }
  return points;
}

/** Area under ROC points by the trapezoid rule. */
export function areaUnder(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    area += (b.fpr - a.fpr) * (a.tpr + b.tpr) / 2;
  }
  return area;
}

/**
 * ROC curves of class probabilities: the class-1 curve for two classes, one
 * one-vs-rest curve per class otherwise.
 */
export function rocCurves(
  p: Predictions,
): { positive: number; points: RocPoint[] }[] {
  const classes = p.probabilities[0]?.length ?? 0;
  const wanted = classes === 2
    ? [1]
    : Array.from({ length: classes }, (_, c) => c);
  return wanted.map((c) => ({
    positive: c,
    points: rocCurve(
      p.probabilities.map((q) => q[c]!),
      p.labels.map((l) => (l === c ? 1 : 0)),
    ),
  }));
}
