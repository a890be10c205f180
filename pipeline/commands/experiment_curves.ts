/**
 * The experiment's stability figure: per model × anchor variant, the mean
 * JS divergence of evaluated slides' attention to the previous epoch (and
 * the effective number of patches) per epoch, averaged over the runs
 * (seeds × folds) of the configuration, from the `attention_stability`
 * view (data/experiment_queries.ts). Drawn with the report's stability chart.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type { CurvePoint } from "../../stages/evaluate/plot_specs.ts";
import {
  type SeriesEncoding,
  stabilitySpec,
} from "../../stages/evaluate/plot_specs.ts";
import { renderSvg, svgToPng } from "../../stages/evaluate/render_plot.ts";
import { shownEpoch } from "../../stages/evaluate/_format.ts";

/** A curve point of one configuration: its model and anchor variant too. */
export interface ConfigurationPoint extends CurvePoint {
  model: string;
  anchor: string;
}

/** Per configuration and epoch: mean JS divergence and effective patches. */
export async function experimentCurves(
  store: Store,
  name: string,
): Promise<{ js: ConfigurationPoint[]; effective: ConfigurationPoint[] }> {
  const rows = await store.experimentStability(name);
  const points = (key: "js" | "effective") =>
    rows.map((r) => ({
      series: r.series,
      model: r.model,
      anchor: r.anchor,
      epoch: shownEpoch(r.epoch),
      value: r[key],
    }));
  return { js: points("js"), effective: points("effective") };
}

/**
 * Writes `<outDir>/stability.svg` and `.png`: the curves of
 * {@link experimentCurves}; returns their paths.
 *
 * @example
 * ```ts ignore
 * const { png } = await writeExperimentCurves(store, "mnist-bags-1a2b3c", "out/exp", 0.01);
 * ```
 */
export async function writeExperimentCurves(
  store: Store,
  name: string,
  outDir: string,
  threshold?: number,
): Promise<{ svg: string; png: string }> {
  const { js, effective } = await experimentCurves(store, name);
  const spec = stabilitySpec(js, effective, threshold, BY_MODEL_AND_ANCHOR);
  const svgText = await renderSvg(spec);
  const svg = `${outDir}/stability.svg`, png = `${outDir}/stability.png`;
  await Deno.writeTextFile(svg, svgText);
  await Deno.writeFile(png, await svgToPng(svgText, 96));
  return { svg, png };
}

/**
 * Colour by model, shape and dash by anchor variant: an experiment over
 * every model has 21 configurations, more than any palette tells apart,
 * while 10 models and 3 anchor variants are easy to read. Points carry
 * `model` and `anchor` ({@link ConfigurationPoint}).
 */
export const BY_MODEL_AND_ANCHOR: SeriesEncoding = {
  color: {
    field: "model",
    type: "nominal",
    title: "model",
    scale: { scheme: "tableau10" },
  },
  strokeDash: {
    field: "anchor",
    type: "nominal",
    title: "anchor",
    sort: ["none", "ema", "released"],
  },
  shape: { field: "anchor", type: "nominal", title: "anchor" },
  detail: { field: "series", type: "nominal" },
};
