/**
 * Slide-level classification metrics, named unambiguously: accuracy,
 * balanced accuracy, ROC AUC (binary; multiclass macro one-vs-rest), macro-F1
 * and micro-F1, per-class precision/recall and the confusion matrix, with
 * bootstrap percentile confidence intervals for the headline ones.
 *
 * @module
 */

import { Rng } from "../../core/random.ts";

/** Predicted class probabilities `[n][C]` and true labels `[n]`. */
export interface Predictions {
  probabilities: readonly (readonly number[] | Float32Array)[];
  labels: readonly number[];
}

/** The metrics of one set of predictions. */
export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  /** ROC AUC; NaN when a class is absent from the labels. */
  auc: number;
  macroF1: number;
  /** Micro-F1 (equals accuracy for single-label data). */
  microF1: number;
  precision: number[];
  recall: number[];
  f1: number[];
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
}

function argmax(p: readonly number[] | Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) {
    if ((p[i] as number) > (p[best] as number)) best = i;
  }
  return best;
}

/**
 * ROC AUC of `scores` for the positive class (`labels[i] === 1`), with ties
 * counted as half (the Mann–Whitney statistic). NaN when one class is absent.
 *
 * @example
 * ```ts
 * import { binaryAuc } from "./metrics.ts";
 * if (binaryAuc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]) !== 0.875) throw new Error();
 * ```
 */
export function binaryAuc(
  scores: readonly number[],
  labels: readonly number[],
): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) =>
    a[0] - b[0]
  );
  // Average ranks over ties, then U = Σ ranks(pos) − nPos(nPos+1)/2.
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = rank;
    i = j + 1;
  }
  let nPos = 0, rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      nPos++;
      rankSum += ranks[i] as number;
    }
  }
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC AUC: binary on the class-1 probability for two classes, else the macro
 * mean of one-vs-rest AUCs (NaN when a class has no slides).
 */
export function rocAuc(p: Predictions): number {
  const C = p.probabilities[0]?.length ?? 0;
  if (C === 2) {
    return binaryAuc(
      p.probabilities.map((q) => q[1] as number),
      p.labels,
    );
  }
  let sum = 0;
  for (let c = 0; c < C; c++) {
    sum += binaryAuc(
      p.probabilities.map((q) => q[c] as number),
      p.labels.map((l) => (l === c ? 1 : 0)),
    );
  }
  return sum / C;
}

/**
 * All metrics of a set of predictions. F1 of a class with no true and no
 * predicted slides is 0 (scikit-learn's `zero_division=0`), and counts in the
 * macro mean over all `numClasses` classes.
 *
 * @example
 * ```ts
 * import { classificationMetrics } from "./metrics.ts";
 * const m = classificationMetrics({
 *   probabilities: [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]],
 *   labels: [0, 1, 1],
 * });
 * if (Math.abs(m.accuracy - 2 / 3) > 1e-12) throw new Error();
 * ```
 */
export function classificationMetrics(
  p: Predictions,
  numClasses: number = p.probabilities[0]?.length ?? 2,
): ClassificationMetrics {
  const n = p.labels.length;
  if (p.probabilities.length !== n) {
    throw new RangeError(
      `classificationMetrics() needs one probability row per label: got ${p.probabilities.length} rows for ${n} labels`,
    );
  }
  const confusion = Array.from(
    { length: numClasses },
    () => new Array<number>(numClasses).fill(0),
  );
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = p.labels[i] as number;
    const q = argmax(p.probabilities[i]!);
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) {
      throw new RangeError(
        `Label ${i} must be a class index in [0, ${numClasses}): current value is ${t}`,
      );
    }
    confusion[t]![q]!++;
    if (t === q) correct++;
  }
  const precision: number[] = [], recall: number[] = [], f1: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const tp = confusion[c]![c]!;
    const actual = confusion[c]!.reduce((s, x) => s + x, 0);
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const pr = predicted > 0 ? tp / predicted : 0;
    const rc = actual > 0 ? tp / actual : 0;
    precision.push(pr);
    recall.push(rc);
    f1.push(pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0);
  }
  const present = recall.filter((_, c) => confusion[c]!.some((x) => x > 0));
  return {
    n,
    accuracy: n > 0 ? correct / n : NaN,
    balancedAccuracy: present.length > 0
      ? present.reduce((s, x) => s + x, 0) / present.length
      : NaN,
    auc: n > 0 ? rocAuc(p) : NaN,
    macroF1: f1.reduce((s, x) => s + x, 0) / numClasses,
    microF1: n > 0 ? correct / n : NaN,
    precision,
    recall,
    f1,
    confusion,
  };
}

/** A point estimate with its confidence interval. */
export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/** Options of {@link bootstrapMetrics}. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
  /**
   * Resample within each true class, keeping class counts (default true), so
   * every resample has both classes and an AUC.
   */
  stratified?: boolean;
}

/** The headline metrics with bootstrap confidence intervals. */
export interface MetricsWithCi {
  accuracy: Interval;
  balancedAccuracy: Interval;
  auc: Interval;
  macroF1: Interval;
  /** Resamples drawn; those where a metric is NaN are left out of its interval. */
  resamples: number;
  level: number;
  /** All metrics of the full set. */
  metrics: ClassificationMetrics;
}

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, interpolating
 * linearly between order statistics. NaN for an empty list.
 *
 * @example
 * ```ts
 * import { quantile } from "./metrics.ts";
 * if (quantile([1, 2, 3, 4], 0.5) !== 2.5) throw new Error();
 * ```
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const below = Math.floor(at), above = Math.ceil(at);
  const a = sorted[below]!, b = sorted[above]!;
  return a + (b - a) * (at - below);
}

const HEADLINE = ["accuracy", "balancedAccuracy", "auc", "macroF1"] as const;

/**
 * Metrics of `p` with percentile bootstrap intervals for accuracy, balanced
 * accuracy, AUC and macro-F1. Deterministic for a given seed.
 *
 * @example
 * ```ts
 * import { bootstrapMetrics } from "./metrics.ts";
 * const m = bootstrapMetrics({
 *   probabilities: [[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]],
 *   labels: [0, 1, 1, 0],
 * }, { resamples: 200, seed: 1 });
 * if (m.auc.value !== 1 || m.auc.lo > 1) throw new Error();
 * ```
 */
export function bootstrapMetrics(
  p: Predictions,
  options: BootstrapOptions = {},
  numClasses: number = p.probabilities[0]?.length ?? 2,
): MetricsWithCi {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(
      `bootstrapMetrics() needs resamples to be a positive integer: current value is ${resamples}`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(
      `bootstrapMetrics() needs level in (0, 1): current value is ${level}`,
    );
  }
  const metrics = classificationMetrics(p, numClasses);
  const rng = new Rng(options.seed ?? 0);
  const strata = options.stratified ?? true
    ? [...Map.groupBy(p.labels.map((_, i) => i), (i) => p.labels[i]!).values()]
    : [p.labels.map((_, i) => i)];
  const draws = new Map(HEADLINE.map((name) => [name, [] as number[]]));
  for (let r = 0; r < resamples; r++) {
    const picked = strata.flatMap((s) => s.map(() => s[rng.int(s.length)]!));
    const m = classificationMetrics({
      probabilities: picked.map((i) => p.probabilities[i]!),
      labels: picked.map((i) => p.labels[i]!),
    }, numClasses);
    for (const name of HEADLINE) {
      if (!Number.isNaN(m[name])) draws.get(name)!.push(m[name]);
    }
  }
  const interval = (name: typeof HEADLINE[number]): Interval => {
    const sorted = draws.get(name)!.sort((a, b) => a - b);
    return {
      value: metrics[name],
      lo: quantile(sorted, (1 - level) / 2),
      hi: quantile(sorted, 1 - (1 - level) / 2),
    };
  };
  return {
    accuracy: interval("accuracy"),
    balancedAccuracy: interval("balancedAccuracy"),
    auc: interval("auc"),
    macroF1: interval("macroF1"),
    resamples,
    level,
    metrics,
  };
}
