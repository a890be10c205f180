/**
 * Vega-lite specs of the report's plots: ROC curves, learning curves (loss
 * parts and per-split AUC/macro-F1 per epoch) and mean JS divergence per
 * epoch comparing runs. Data is inlined, so a spec renders on its own.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import type { RocPoint } from "./roc_curve.ts";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 360, HEIGHT = 260;

/** One ROC curve to draw. */
export interface RocSeries {
  /** Legend label, e.g. `run-1 · val (AUC 0.91)`. */
  name: string;
  points: readonly RocPoint[];
}

/**
 * ROC curves with the chance diagonal.
 *
 * @example
 * ```ts
 * import { rocSpec } from "./plot_specs.ts";
 * const spec = rocSpec([{ name: "val", points: [{ fpr: 0, tpr: 0, threshold: 1 }, { fpr: 1, tpr: 1, threshold: 0 }] }]);
 * if (!("layer" in spec)) throw new Error();
 * ```
 */
export function rocSpec(series: readonly RocSeries[]): TopLevelSpec {
  const values = series.flatMap((s) =>
    s.points.map((p, order) => ({
      curve: s.name,
      fpr: p.fpr,
      tpr: p.tpr,
      order,
    }))
  );
  return {
    $schema: SCHEMA,
    title: "ROC",
    width: HEIGHT,
    height: HEIGHT,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: "line", strokeDash: [4, 4], color: "#999999" },
        encoding: {
          x: { field: "x", type: "quantitative" },
          y: { field: "y", type: "quantitative" },
        },
      },
      {
        data: { values },
        mark: { type: "line", interpolate: "linear" },
        encoding: {
          x: {
            field: "fpr",
            type: "quantitative",
            title: "false positive rate",
            scale: { domain: [0, 1] },
          },
          y: {
            field: "tpr",
            type: "quantitative",
            title: "true positive rate",
            scale: { domain: [0, 1] },
          },
          order: { field: "order", type: "quantitative" },
          color: {
            field: "curve",
            type: "nominal",
            title: null,
            legend: { orient: "bottom-right", labelLimit: 260 },
          },
        },
      },
    ],
  };
}

/** One value of a learning curve. */
export interface CurvePoint {
  epoch: number;
  /** Line name, e.g. `total` or `val AUC`. */
  series: string;
  value: number;
}

/**
 * How lines are told apart: Vega-Lite encoding channels over fields of the
 * points (default: colour by `series`).
 */
export type SeriesEncoding = Record<string, Record<string, unknown>>;

const BY_SERIES: SeriesEncoding = {
  color: { field: "series", type: "nominal", title: null },
};

function lineChart(
  title: string,
  values: readonly CurvePoint[],
  yTitle: string,
  yScale: Record<string, unknown> = {},
  series: SeriesEncoding = BY_SERIES,
) {
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: values.filter((v) => Number.isFinite(v.value)) },
    mark: { type: "line" as const, point: true },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative" as const,
        title: "epoch",
        axis: { tickMinStep: 1 },
      },
      y: {
        field: "value",
        type: "quantitative" as const,
        title: yTitle,
        scale: yScale,
      },
      ...series,
    },
  };
}

/**
 * Learning curves side by side: loss parts per epoch, and metrics per epoch
 * (e.g. val AUC and macro-F1).
 */
export function learningCurveSpec(
  losses: readonly CurvePoint[],
  metrics: readonly CurvePoint[],
  title = "Learning curves",
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    hconcat: [
      lineChart("loss", losses, "loss"),
      lineChart("metrics", metrics, "value", { domain: [0, 1] }),
    ],
    resolve: { scale: { color: "independent" } },
  };
}

/**
 * Mean JS divergence to the previous epoch per epoch, one line per run (or
 * run and split), on a log axis when every value is positive; a second
 * panel shows mean effective patches when given. `series` replaces the
 * colour-by-series encoding of both panels (with one shared legend).
 */
export function stabilitySpec(
  meanJs: readonly CurvePoint[],
  effectivePatches: readonly CurvePoint[] = [],
  threshold?: number,
  series?: SeriesEncoding,
): TopLevelSpec {
  const positive = meanJs.every((v) => v.value > 0);
  const js = lineChart(
    "mean JS divergence to the previous epoch",
    meanJs,
    "JS divergence (nats)",
    positive ? { type: "log" } : {},
    series,
  );
  const jsLayer = threshold === undefined ? js : {
    title: js.title,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      { data: js.data, mark: js.mark, encoding: js.encoding },
      {
        data: { values: [{ threshold }] },
        mark: { type: "rule" as const, strokeDash: [4, 4], color: "#888888" },
        encoding: { y: { field: "threshold", type: "quantitative" as const } },
      },
    ],
  };
  if (effectivePatches.length === 0) return { $schema: SCHEMA, ...jsLayer };
  return {
    $schema: SCHEMA,
    title: "Attention stability",
    hconcat: [
      jsLayer,
      lineChart(
        "effective patches exp(H)",
        effectivePatches,
        "patches",
        {},
        series,
      ),
    ],
    // Both panels draw the same lines when the series are given: one legend.
    resolve: { scale: { color: series ? "shared" : "independent" } },
  } as TopLevelSpec;
}
