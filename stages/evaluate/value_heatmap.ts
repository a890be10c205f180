/**
 * Heatmaps coloured by attention value on a given {@link AttentionScale},
 * so that several maps on one scale compare colour for colour (unlike
 * `renderHeatmap`, which colours each map by its own percentile ranks). No
 * colour bar is drawn inside: the maps share one legend.
 *
 * @module
 */

import sharp from "sharp";
import type { Distribution } from "./attention_measures.ts";
import { type AttentionScale, scaleColour } from "./attention_scale.ts";
import {
  type HeatmapBase,
  type HeatmapTile,
  maskBoundary,
  tileRect,
} from "./heatmap.ts";

/** Options of {@link renderValueHeatmap}. */
export interface ValueHeatmapOptions {
  /** Opacity of the attention colours over tissue (default 0.7). */
  alpha?: number;
  /** Tumour mask at the thumbnail's size (non-zero = tumour), to outline. */
  tumour?: Uint8Array;
  /**
   * Colours in the PNG's palette (default 256); 0 writes a full-colour PNG.
   * A palette keeps a map a few tens of kB, which matters for a report
   * holding one map per epoch.
   */
  paletteColours?: number;
}

/**
 * Draws `scores` over `base`, each tile in the colour of its value on
 * `scale`, blended at `alpha`; the tumour boundary in black with a white
 * halo. Returns a PNG of the thumbnail's size.
 *
 * @example
 * ```ts
 * import { renderValueHeatmap } from "./value_heatmap.ts";
 * const base = { rgb: new Uint8Array(64 * 64 * 3).fill(230), width: 64, height: 64, downsampleX: 4, downsampleY: 4 };
 * const scale = { kind: "log" as const, min: 0.01, max: 0.9, clipped: false };
 * const png = await renderValueHeatmap(base, [{ x: 0, y: 0, size: 128 }, { x: 128, y: 0, size: 128 }], [0.9, 0.1], scale);
 * if (png[1] !== 0x50) throw new Error("PNG signature");
 * ```
 */
export async function renderValueHeatmap(
  base: HeatmapBase,
  tiles: readonly HeatmapTile[],
  scores: Distribution,
  scale: AttentionScale,
  options: ValueHeatmapOptions = {},
): Promise<Uint8Array> {
  const { width, height } = base;
  if (tiles.length !== scores.length) {
    throw new RangeError(
      `renderValueHeatmap() needs one score per tile: got ${scores.length} scores for ${tiles.length} tiles`,
    );
  }
  if (base.rgb.length !== width * height * 3) {
    throw new RangeError(
      `renderValueHeatmap() needs an RGB thumbnail of ${width}×${height}×3 = ${
        width * height * 3
      } bytes: got ${base.rgb.length}`,
    );
  }
  const alpha = options.alpha ?? 0.7;
  const out = new Uint8Array(base.rgb);
  tiles.forEach((tile, t) => {
    const colour = scaleColour(scale, scores[t]!);
    const r = tileRect(tile, base);
    for (let y = r.y0; y < r.y1; y++) {
      for (let x = r.x0; x < r.x1; x++) {
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          out[i + c] = Math.round(
            out[i + c]! * (1 - alpha) + colour[c]! * alpha,
          );
        }
      }
    }
  });
  if (options.tumour) {
    if (options.tumour.length !== width * height) {
      throw new RangeError(
        `renderValueHeatmap() needs the tumour mask at the thumbnail's ${width}×${height}: got ${options.tumour.length} pixels`,
      );
    }
    const edge = maskBoundary(options.tumour, width, height);
    for (let i = 0; i < edge.length; i++) {
      if (!edge[i]) continue;
      out.fill(20, i * 3, i * 3 + 3);
      for (const j of [i - 1, i + 1, i - width, i + width]) {
        if (j >= 0 && j < edge.length && !edge[j] && !options.tumour[j]) {
          out.fill(250, j * 3, j * 3 + 3);
        }
      }
    }
  }
  const colours = options.paletteColours ?? 256;
  const png = await sharp(out, { raw: { width, height, channels: 3 } })
    .png(
      colours > 0
        ? { palette: true, colours, effort: 1, compressionLevel: 6 }
        : { compressionLevel: 9 },
    )
    .toBuffer();
  return new Uint8Array(png);
}
