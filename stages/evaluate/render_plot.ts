/**
 * Renders vega-lite specs headlessly: compiled to vega, drawn to SVG by a
 * view with no renderer attached, rasterised to PNG by sharp.
 *
 * @module
 */

import sharp from "sharp";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/**
 * The SVG of a vega-lite spec (data inline in the spec).
 *
 * @example
 * ```ts
 * import { renderSvg } from "./render_plot.ts";
 * const svg = await renderSvg({
 *   data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
 *   mark: "line",
 *   encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
 * });
 * if (!svg.startsWith("<svg")) throw new Error();
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let compiled: vega.Spec;
  try {
    compiled = compile(spec).spec;
  } catch (error) {
    throw new Error(
      `Cannot compile the vega-lite spec${
        "title" in spec ? ` "${String(spec.title)}"` : ""
      }: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of an SVG document, at `density` DPI (72 keeps its pixel size). */
export async function svgToPng(
  svg: string,
  density = 144,
): Promise<Uint8Array> {
  const png = await sharp(new TextEncoder().encode(svg), { density })
    .flatten({ background: "#ffffff" })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/** PNG bytes of a vega-lite spec (see {@link renderSvg}, {@link svgToPng}). */
export async function renderPng(
  spec: TopLevelSpec,
  density = 144,
): Promise<Uint8Array> {
  return await svgToPng(await renderSvg(spec), density);
}
