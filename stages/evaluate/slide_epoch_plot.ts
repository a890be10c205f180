/**
 * A small vega-lite plot of one slide over a run's epochs: JS divergence of
 * its attention to the previous epoch, and its effective number of patches,
 * with the epochs drawn as heatmaps marked. Epochs as a person counts them
 * (from 1).
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** One epoch of one slide, epoch counted from 1. */
export interface SlideEpochPoint {
  epoch: number;
  /** Null when not defined (tile counts differ). */
  jsDivergence: number | null;
  effectivePatches: number;
}

/** Options of {@link slideEpochSpec}. */
export interface SlideEpochSpecOptions {
  /** Epochs (from 1) to mark, e.g. those drawn as heatmaps. */
  marked?: readonly number[];
  /** Width of each panel (default 240). */
  width?: number;
  /** Height of each panel (default 110). */
  height?: number;
}

function panel(
  title: string,
  field: "js" | "effective",
  values: readonly Record<string, unknown>[],
  yScale: Record<string, unknown>,
  width: number,
  height: number,
  yAxis: Record<string, unknown> = {},
) {
  const x = {
    field: "epoch",
    type: "quantitative" as const,
    title: "epoch",
    axis: { tickMinStep: 1 },
  };
  const y = {
    field,
    type: "quantitative" as const,
    title: null,
    scale: yScale,
    axis: yAxis,
  };
  return {
    title: { text: title, fontSize: 11 },
    width,
    height,
    data: { values },
    layer: [
      {
        transform: [{ filter: `isValid(datum.${field})` }],
        mark: { type: "line" as const, color: "#4c78a8" },
        encoding: { x, y },
      },
      {
        transform: [{ filter: `datum.marked && isValid(datum.${field})` }],
        mark: {
          type: "point" as const,
          filled: true,
          size: 45,
          color: "#e45756",
        },
        encoding: {
          x,
          y,
          tooltip: [{ field: "epoch" }, { field, format: ".3g" }],
        },
      },
    ],
  };
}

/**
 * The spec: JS divergence (log axis when every value is positive) above
 * effective patches, marked epochs as red dots; narrow, to sit beside a
 * row of heatmaps.
 *
 * @example
 * ```ts
 * import { slideEpochSpec } from "./slide_epoch_plot.ts";
 * const spec = slideEpochSpec([
 *   { epoch: 1, jsDivergence: 0.2, effectivePatches: 14 },
 *   { epoch: 2, jsDivergence: 0.05, effectivePatches: 9 },
 * ], { marked: [2] });
 * if (!("vconcat" in spec)) throw new Error();
 * ```
 */
export function slideEpochSpec(
  points: readonly SlideEpochPoint[],
  options: SlideEpochSpecOptions = {},
): TopLevelSpec {
  const marked = new Set(options.marked ?? []);
  const finite = (x: number | null) =>
    x !== null && Number.isFinite(x) ? x : null;
  const values = points.map((p) => ({
    epoch: p.epoch,
    js: finite(p.jsDivergence),
    effective: finite(p.effectivePatches),
    marked: marked.has(p.epoch),
  }));
  const positive = values.every((v) => v.js === null || v.js > 0);
  const width = options.width ?? 240, height = options.height ?? 110;
  return {
    $schema: SCHEMA,
    vconcat: [
      panel(
        "JS divergence to the previous epoch (nats)",
        "js",
        values,
        positive ? { type: "log" } : {},
        width,
        height,
        positive ? { format: ".0e", tickCount: 5 } : {},
      ),
      panel(
        "effective patches exp(H)",
        "effective",
        values,
        { zero: false },
        width,
        height,
      ),
    ],
  } as TopLevelSpec;
}
