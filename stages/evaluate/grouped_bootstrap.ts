/**
 * Bootstrap intervals for a result that rests on several runs (seeds or
 * folds), each judged on its own test slides: the estimate is the mean over
 * runs of a per-run statistic, and each resample draws the runs with
 * replacement and then the slides within each drawn run (within each class,
 * so every resample keeps both classes). Both sources of variation, which
 * seed and which slides, reach the interval. A paired comparison (two models
 * on the same runs and slides) resamples the pairs together, so what the
 * two share cancels out of the difference.
 *
 * @module
 */
import { Rng } from "../../core/random.ts";
import { quantile } from "./metrics.ts";

/** One run's items (e.g. its test slides) and their strata (e.g. classes). */
export interface BootstrapGroup<T> {
  items: readonly T[];
  /** Stratum of each item; items are resampled within their stratum. */
  strata?: readonly (number | string)[];
}

/** Options of {@link groupedBootstrap}. */
export interface GroupedBootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
  /** Coverage of the intervals (default 0.95). */
  level?: number;
  /**
   * Also draw the groups with replacement (default true). With false only
   * the items within each group are resampled: the interval then ignores
   * how much the result changes from run to run.
   */
  resampleGroups?: boolean;
}

/** A mean over groups with its percentile bootstrap interval. */
export interface GroupedInterval {
  value: number;
  lo: number;
  hi: number;
  /** Groups with a finite statistic, averaged in `value`. */
  groups: number;
  /** Resamples with a finite mean, used for the interval. */
  resamples: number;
}

/**
 * Percentile bootstrap intervals of the mean over groups of each component
 * of `statistic`. Components that are NaN for a group are left out of that
 * group's mean (and a resample where every drawn group is NaN is left out of
 * the interval). Deterministic for a given seed.
 *
 * @example
 * ```ts
 * import { groupedBootstrap } from "./grouped_bootstrap.ts";
 * const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
 * const [m] = groupedBootstrap(
 *   [{ items: [1, 2, 3, 4] }, { items: [2, 3, 4, 5] }],
 *   (xs) => [mean(xs)],
 *   { resamples: 500, seed: 1 },
 * );
 * if (m!.value !== 3 || !(m!.lo < 3 && m!.hi > 3)) throw new Error();
 * ```
 */
export function groupedBootstrap<T>(
  groups: readonly BootstrapGroup<T>[],
  statistic: (items: readonly T[]) => readonly number[],
  options: GroupedBootstrapOptions = {},
): GroupedInterval[] {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(
      `groupedBootstrap() needs resamples to be a positive integer: current value is ${resamples}`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(
      `groupedBootstrap() needs level in (0, 1): current value is ${level}`,
    );
  }
  if (groups.length === 0) {
    throw new RangeError(
      "groupedBootstrap() needs at least one group: got none",
    );
  }
  for (const [g, group] of groups.entries()) {
    if (group.strata && group.strata.length !== group.items.length) {
      throw new RangeError(
        `groupedBootstrap(): group ${g} has ${group.items.length} items but ${group.strata.length} strata`,
      );
    }
  }
  const full = groups.map((g) => statistic(g.items));
  const width = full[0]!.length;
  const strata = groups.map((g) => [
    ...Map.groupBy(
      g.items.map((_, i) => i),
      (i) => g.strata?.[i] ?? 0,
    ).values(),
  ]);
  const rng = new Rng(options.seed ?? 0);
  const draws = Array.from({ length: width }, () => [] as number[]);
  const resampleGroups = options.resampleGroups ?? true;
  for (let r = 0; r < resamples; r++) {
    const picked = groups.map((_, g) =>
      resampleGroups ? rng.int(groups.length) : g
    );
    const sums = new Float64Array(width), counts = new Float64Array(width);
    for (const g of picked) {
      const items = strata[g]!.flatMap((s) =>
        s.map(() => groups[g]!.items[s[rng.int(s.length)]!]!)
      );
      const values = statistic(items);
      for (let c = 0; c < width; c++) {
        if (Number.isFinite(values[c])) {
          sums[c] = sums[c]! + values[c]!;
          counts[c] = counts[c]! + 1;
        }
      }
    }
    for (let c = 0; c < width; c++) {
      if (counts[c]! > 0) draws[c]!.push(sums[c]! / counts[c]!);
    }
  }
  return draws.map((d, c) => {
    const finite = full.map((f) => f[c]!).filter(Number.isFinite);
    const sorted = d.sort((a, b) => a - b);
    return {
      value: finite.length === 0
        ? NaN
        : finite.reduce((s, x) => s + x, 0) / finite.length,
      lo: quantile(sorted, (1 - level) / 2),
      hi: quantile(sorted, 1 - (1 - level) / 2),
      groups: finite.length,
      resamples: sorted.length,
    };
  });
}

// Two-sided 97.5 % quantiles of Student's t for 1…30 degrees of freedom.
const T975 = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/**
 * Mean of `xs` (NaN values left out) with its 95 % Student-t interval,
 * for figures measured once per run where runs are the only replicates.
 * The interval is NaN with fewer than two values.
 *
 * @example
 * ```ts
 * import { tInterval } from "./grouped_bootstrap.ts";
 * const t = tInterval([1, 2, 3]);
 * if (t.value !== 2 || Math.abs(t.hi - (2 + 4.303 / Math.sqrt(3))) > 1e-9) throw new Error();
 * ```
 */
export function tInterval(xs: readonly number[]): GroupedInterval {
  const v = xs.filter(Number.isFinite);
  const n = v.length;
  const mean = n === 0 ? NaN : v.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { value: mean, lo: NaN, hi: NaN, groups: n, resamples: 0 };
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const t = T975[n - 2] ?? 1.96;
  const half = t * sd / Math.sqrt(n);
  return {
    value: mean,
    lo: mean - half,
    hi: mean + half,
    groups: n,
    resamples: 0,
  };
}
