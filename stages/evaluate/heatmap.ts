/**
 * Attention heatmaps: per-tile attention, percentile-normalised so that a
 * map concentrated on a few tiles still shows the ordering of the rest,
 * blended over the slide thumbnail, with a colour bar and (where known) the
 * tumour outline. Pure image work: the caller supplies the thumbnail.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import sharp from "sharp";
import type { RgbImage } from "../tile/slide_reader.ts";
import { averageRanks, type Distribution } from "./attention_measures.ts";
import { attentionColour, gradientStops } from "./colour_map.ts";

/** A tile's square in level-0 pixels. */
export interface HeatmapTile {
  x: number;
  y: number;
  size: number;
}

/** A thumbnail and the level-0 pixels per thumbnail pixel on each axis. */
export interface HeatmapBase extends RgbImage {
  downsampleX: number;
  downsampleY: number;
}

/** Options of {@link renderHeatmap}. */
export interface HeatmapOptions {
  /** Opacity of the attention colours over tissue (default 0.6). */
  alpha?: number;
  /** Tumour mask at the thumbnail's size (non-zero = tumour), to outline. */
  tumour?: Uint8Array;
  /** Draw the colour bar in the lower right corner (default true). */
  colourBar?: boolean;
}

/**
 * Scores as percentiles in [0, 1]: (average rank − 1)/(n − 1); ties share a
 * value, a single tile gets 1.
 *
 * @example
 * ```ts
 * import { percentileNormalise } from "./heatmap.ts";
 * if (percentileNormalise([0.9, 0.05, 0.05]).join() !== "1,0.25,0.25") throw new Error();
 * ```
 */
export function percentileNormalise(scores: Distribution): number[] {
  if (scores.length === 1) return [1];
  return averageRanks(scores).map((r) => (r - 1) / (scores.length - 1));
}

/** The thumbnail-pixel rectangle a tile covers (clipped to the image). */
export function tileRect(tile: HeatmapTile, base: HeatmapBase) {
  const x0 = Math.max(0, Math.floor(tile.x / base.downsampleX));
  const y0 = Math.max(0, Math.floor(tile.y / base.downsampleY));
  const x1 = Math.min(
    base.width,
    Math.ceil((tile.x + tile.size) / base.downsampleX),
  );
  const y1 = Math.min(
    base.height,
    Math.ceil((tile.y + tile.size) / base.downsampleY),
  );
  return { x0, y0, x1, y1 };
}

/** A mask (1 = inside) covering the given tiles, at the thumbnail's size. */
export function tileMask(
  tiles: readonly HeatmapTile[],
  base: HeatmapBase,
): Uint8Array {
  const mask = new Uint8Array(base.width * base.height);
  for (const t of tiles) {
    const r = tileRect(t, base);
    for (let y = r.y0; y < r.y1; y++) {
      mask.fill(1, y * base.width + r.x0, y * base.width + r.x1);
    }
  }
  return mask;
}

/** Pixels of `mask` that are inside and touch the outside (4-neighbours or edge). */
export function maskBoundary(
  mask: Uint8Array,
  width: number,
  height: number,
): Uint8Array {
  const edge = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      if (
        x === 0 || y === 0 || x === width - 1 || y === height - 1 ||
        !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width]
      ) edge[i] = 1;
    }
  }
  return edge;
}

function colourBarSvg(
  width: number,
  height: number,
): { svg: string; left: number; top: number } | null {
  const font = Math.min(16, Math.max(7, Math.round(height * 0.028)));
  const barH = Math.max(20, Math.round(height * 0.3));
  const barW = Math.max(8, Math.round(font * 1.1));
  const w = barW + font * 4.2, h = barH + font * 3;
  const label = (y: number, text: string) =>
    `<text x="${
      barW + 10
    }" y="${y}" font-size="${font}" font-family="sans-serif" dominant-baseline="middle">${text}</text>`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<defs><linearGradient id="g" x1="0" y1="1" x2="0" y2="0">${gradientStops()}</linearGradient></defs>
<rect width="${w}" height="${h}" rx="4" fill="white" fill-opacity="0.85"/>
<text x="4" y="${
      font + 2
    }" font-size="${font}" font-family="sans-serif">attention</text>
<rect x="4" y="${
      font * 2
    }" width="${barW}" height="${barH}" fill="url(#g)" stroke="#333" stroke-width="0.5"/>
${label(font * 2 + 2, "100%")}${label(font * 2 + barH / 2, "50%")}${
      label(font * 2 + barH - 2, "0%")
    }
</svg>`;
  if (w + 6 > width || h + 6 > height) return null;
  return {
    svg,
    left: Math.max(0, Math.round(width - w - 6)),
    top: Math.max(0, Math.round(height - h - 6)),
  };
}

/**
 * Draws attention over `base`: each tile's square takes the colour of its
 * percentile, blended at `alpha`; the tumour boundary is drawn in black and
 * white. Returns a PNG of exactly the thumbnail's size.
 *
 * @example
 * ```ts
 * import { renderHeatmap } from "./heatmap.ts";
 * const base = { rgb: new Uint8Array(64 * 64 * 3).fill(230), width: 64, height: 64, downsampleX: 4, downsampleY: 4 };
 * const png = await renderHeatmap(base, [{ x: 0, y: 0, size: 128 }, { x: 128, y: 0, size: 128 }], [0.9, 0.1]);
 * if (png[1] !== 0x50) throw new Error("PNG signature");
 * ```
 */
export async function renderHeatmap(
  base: HeatmapBase,
  tiles: readonly HeatmapTile[],
  scores: Distribution,
  options: HeatmapOptions = {},
): Promise<Uint8Array> {
  const { width, height } = base;
  if (tiles.length !== scores.length) {
    throw new RangeError(
      `renderHeatmap() needs one score per tile: got ${scores.length} scores for ${tiles.length} tiles`,
    );
  }
  if (base.rgb.length !== width * height * 3) {
    throw new RangeError(
      `renderHeatmap() needs an RGB thumbnail of ${width}×${height}×3 = ${
        width * height * 3
      } bytes: got ${base.rgb.length}`,
    );
  }
  const alpha = options.alpha ?? 0.6;
  const out = new Uint8Array(base.rgb);
  const percentiles = percentileNormalise(scores);
  tiles.forEach((tile, t) => {
    const colour = attentionColour(percentiles[t]!);
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
        `renderHeatmap() needs the tumour mask at the thumbnail's ${width}×${height}: got ${options.tumour.length} pixels`,
      );
    }
    const edge = maskBoundary(options.tumour, width, height);
    for (let i = 0; i < edge.length; i++) {
      if (!edge[i]) continue;
      // A dark line with a light halo reads on both tissue and colour.
      out.fill(20, i * 3, i * 3 + 3);
      for (const j of [i - 1, i + 1, i - width, i + width]) {
        if (j >= 0 && j < edge.length && !edge[j] && !options.tumour[j]) {
          out.fill(250, j * 3, j * 3 + 3);
        }
      }
    }
  }
  const image = sharp(out, { raw: { width, height, channels: 3 } });
  if (options.colourBar ?? true) {
    const bar = colourBarSvg(width, height);
    if (bar) {
      image.composite([{
        input: Buffer.from(bar.svg),
        left: bar.left,
        top: bar.top,
      }]);
    }
  }
  return new Uint8Array(await image.png().toBuffer());
}
