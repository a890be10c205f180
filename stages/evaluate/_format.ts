/**
 * Number and text formatting shared by the HTML and Markdown reports.
 *
 * @module
 */

import type { ClassificationMetrics, Interval } from "./metrics.ts";

/** `x` to `digits` decimals, "–" when not finite or missing. */
export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? "–"
    : x.toFixed(digits);
}

/** A value with its interval: `0.912 [0.850, 0.970]`. */
export function withCi(i: Interval, digits = 3): string {
  if (!Number.isFinite(i.value)) return "–";
  if (!Number.isFinite(i.lo) || !Number.isFinite(i.hi)) {
    return num(i.value, digits);
  }
  return `${num(i.value, digits)} [${num(i.lo, digits)}, ${num(i.hi, digits)}]`;
}

/**
 * Slides of every class a split needs before its bootstrap intervals mean
 * anything; with fewer, resampling a handful of slides gives intervals
 * like `0.500 [0.500, 0.500]`.
 */
export const MIN_SLIDES_PER_CLASS_FOR_CI = 5;

/** Slides of each true class behind `m` (rows of its confusion matrix). */
export function slidesPerClass(m: ClassificationMetrics): number[] {
  return m.confusion.map((row) => row.reduce((a, b) => a + b, 0));
}

/** Whether some class has fewer than {@link MIN_SLIDES_PER_CLASS_FOR_CI} slides in `m`. */
export function tooFewForCi(m: ClassificationMetrics): boolean {
  const counts = slidesPerClass(m);
  return counts.length === 0 ||
    Math.min(...counts) < MIN_SLIDES_PER_CLASS_FOR_CI;
}

/**
 * {@link withCi}, marked `†` when the interval comes from too few slides of
 * a class ({@link tooFewForCi}); {@link fewSlidesNote} explains the mark.
 *
 * @example
 * ```ts
 * import { withCiOf } from "./_format.ts";
 * const m = { confusion: [[1, 0], [0, 2]] } as Parameters<typeof withCiOf>[1];
 * if (withCiOf({ value: 1, lo: 1, hi: 1 }, m) !== "1.000 [1.000, 1.000] †") throw new Error();
 * ```
 */
export function withCiOf(
  i: Interval,
  m: ClassificationMetrics,
  digits = 3,
): string {
  const text = withCi(i, digits);
  return tooFewForCi(m) && text !== "–" ? `${text} †` : text;
}

/**
 * The note explaining `†` for the splits marked, with their slides per
 * class; undefined when none is.
 */
export function fewSlidesNote(
  splits: readonly { split: string; metrics: ClassificationMetrics }[],
): string | undefined {
  const few = splits.filter((s) => tooFewForCi(s.metrics));
  if (few.length === 0) return undefined;
  return `† not meaningful: fewer than ${MIN_SLIDES_PER_CLASS_FOR_CI} slides of a class (${
    few.map((s) =>
      `${s.split}: ${
        slidesPerClass(s.metrics).map((n, c) => `class ${c} ${n}`).join(", ")
      }`
    ).join("; ")
  }); the interval only says the split is too small`;
}

/**
 * The number a person reads for stored epoch `epoch`. The store (and SQL,
 * and the programmatic API) counts epochs from 0; everything printed for a
 * person — progress lines, summaries, reports, plots, `--epoch` — counts
 * from 1, so "epoch 1" is the first.
 *
 * @example
 * ```ts
 * import { shownEpoch } from "./_format.ts";
 * if (shownEpoch(0) !== 1) throw new Error();
 * ```
 */
export function shownEpoch(epoch: number): number {
  return epoch + 1;
}

/** A small positive quantity in scientific notation when tiny. */
export function small(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(4);
}

/** Text safe inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A string safe as a file name part. */
export function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}
