/**
 * Number and text formatting shared by the HTML and Markdown reports.
 *
 * @module
 */

import type { Interval } from "./metrics.ts";

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
