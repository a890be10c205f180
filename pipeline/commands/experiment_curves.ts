/**
 * The experiment's stability figure: per model × anchor variant, the mean
 * JS divergence of evaluated slides' attention to the previous epoch (and
 * the effective number of patches) per epoch, averaged over the runs
 * (seeds × folds) of the configuration, from the `attention_stability`
 * view. Drawn with the report's stability chart.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type { CurvePoint } from "../../stages/evaluate/plot_specs.ts";
import { stabilitySpec } from "../../stages/evaluate/plot_specs.ts";
import { renderSvg, svgToPng } from "../../stages/evaluate/render_plot.ts";

/** Per configuration and epoch: mean JS divergence and effective patches. */
export async function experimentCurves(
  store: Store,
  name: string,
): Promise<{ js: CurvePoint[]; effective: CurvePoint[] }> {
  const rows = await store.query(
    `SELECT split_part(run, '.', 3) || ' ' || split_part(run, '.', 4) AS series,
       epoch, avg(js) AS js, avg(effective) AS effective
     FROM (
       SELECT run, epoch, avg(js_divergence) AS js,
         avg(exp(entropy)) AS effective
       FROM attention_stability
       WHERE starts_with(run, 'exp.' || $name || '.')
       GROUP BY run, epoch)
     GROUP BY series, epoch ORDER BY series, epoch`,
    { name },
  );
  const points = (key: string) =>
    rows.map((r) => ({
      series: String(r.series),
      epoch: Number(r.epoch) + 1,
      value: Number(r[key]),
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
  const spec = distinctColours(stabilitySpec(js, effective, threshold));
  const svgText = await renderSvg(spec);
  const svg = `${outDir}/stability.svg`, png = `${outDir}/stability.png`;
  await Deno.writeTextFile(svg, svgText);
  await Deno.writeFile(png, await svgToPng(svgText, 96));
  return { svg, png };
}

/**
 * Up to 20 series (an experiment's configurations) in distinct colours with
 * one shared legend: the report's charts use 10 colours, which repeat here.
 */
function distinctColours<T extends object>(spec: T): T {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    const color = o.color as Record<string, unknown> | undefined;
    if (color && color.field === "series") {
      color.scale = { scheme: "tableau20" };
    }
    const resolve = o.resolve as
      | { scale?: Record<string, unknown> }
      | undefined;
    if (resolve?.scale?.color) resolve.scale.color = "shared";
    Object.values(o).forEach(walk);
  };
  walk(spec);
  return spec;
}
