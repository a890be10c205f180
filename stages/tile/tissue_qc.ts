/**
 * Quality-control images of tissue detection: the mask and an overlay of
 * the mask and the kept tiles on the thumbnail, as PNG.
 *
 * @module
 */

import sharp from "sharp";
import { join } from "node:path";
import type { SlideThumbnail } from "./slide_reader.ts";
import type { TileGrid } from "./tile_grid.ts";
import type { TissueMask } from "./tissue_mask.ts";

/** Paths of the QC images written for one slide. */
export interface TissueQcFiles {
  mask: string;
  overlay: string;
}

/**
 * Writes `<dir>/<slideId>.mask.png` (white = tissue) and
 * `<dir>/<slideId>.overlay.png` (thumbnail, tissue tinted green, kept tiles
 * outlined in blue).
 *
 * @example
 * ```ts ignore
 * import { writeTissueQc } from "./tissue_qc.ts";
 * await writeTissueQc("qc", "slide1", thumbnail, mask, grid);
 * ```
 */
export async function writeTissueQc(
  dir: string,
  slideId: string,
  thumbnail: SlideThumbnail,
  mask: TissueMask,
  grid?: TileGrid,
): Promise<TissueQcFiles> {
  await Deno.mkdir(dir, { recursive: true });
  const { width, height } = mask;
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = mask.mask[i] ? 255 : 0;
  const files = {
    mask: join(dir, `${slideId}.mask.png`),
    overlay: join(dir, `${slideId}.overlay.png`),
  };
  await sharp(grey, { raw: { width, height, channels: 1 } }).png().toFile(
    files.mask,
  );
  const rgb = thumbnail.rgb.slice();
  for (let i = 0; i < grey.length; i++) {
    if (!mask.mask[i]) continue;
    rgb[i * 3] = (rgb[i * 3] as number) * 0.7;
    rgb[i * 3 + 1] = (rgb[i * 3 + 1] as number) * 0.7 + 76;
    rgb[i * 3 + 2] = (rgb[i * 3 + 2] as number) * 0.7;
  }
  for (const t of grid?.tiles ?? []) {
    const x0 = Math.floor(t.x / mask.downsampleX),
      y0 = Math.floor(t.y / mask.downsampleY);
    const x1 = Math.min(
      width - 1,
      Math.floor((t.x + grid!.extent) / mask.downsampleX) - 1,
    );
    const y1 = Math.min(
      height - 1,
      Math.floor((t.y + grid!.extent) / mask.downsampleY) - 1,
    );
    const paint = (x: number, y: number) =>
      rgb.set([30, 60, 220], (y * width + x) * 3);
    for (let x = x0; x <= x1; x++) {
      paint(x, y0);
      paint(x, y1);
    }
    for (let y = y0; y <= y1; y++) {
      paint(x0, y);
      paint(x1, y);
    }
  }
  await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toFile(
    files.overlay,
  );
  return files;
}
