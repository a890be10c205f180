/**
 * Per-tile ground truth from a tumour mask next to the slide.
 *
 * Convention: for a slide `<dir>/<stem>.<ext>`, the file
 * `<dir>/<stem>.tumour.png` is a greyscale (or RGB, first channel used) mask
 * covering the whole level-0 extent at one uniform scale (level-0 width ÷
 * mask width); a value ≥ 128 marks tumour. A tile is labelled 1 when tumour
 * covers at least `minTumour` of its area, else 0. The synthetic cohort
 * writes such masks (all black for negative slides).
 *
 * @module
 */

import sharp from "sharp";
import { basename, dirname, extname, join } from "node:path";
import { coverage, integralImage } from "./tile_grid.ts";

/** A loaded tumour mask. */
export interface TumourMask {
  path: string;
  mask: Uint8Array;
  width: number;
  height: number;
  downsampleX: number;
  downsampleY: number;
  /** Summed-area table for fast per-tile coverage. */
  integral: Float64Array;
}

/** The ground-truth mask path for a slide path. */
export function tumourMaskPath(slidePath: string): string {
  return join(
    dirname(slidePath),
    `${basename(slidePath, extname(slidePath))}.tumour.png`,
  );
}

/**
 * Loads `<stem>.tumour.png` for the slide at `slidePath`, or returns
 * `undefined` when there is none. Throws when the mask exists but its aspect
 * ratio does not match the slide's level-0 size.
 *
 * @example
 * ```ts ignore
 * import { loadTumourMask, tileLabel } from "./ground_truth.ts";
 * const gt = await loadTumourMask("cohort/synth_000.tiff", 4096, 4096);
 * const label = gt ? tileLabel(gt, 1024, 2048, 256) : undefined;
 * ```
 */
export async function loadTumourMask(
  slidePath: string,
  width: number,
  height: number,
): Promise<TumourMask | undefined> {
  const path = tumourMaskPath(slidePath);
  try {
    await Deno.stat(path);
  } catch {
    return undefined;
  }
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({
    resolveWithObject: true,
  });
  const downsampleX = width / info.width, downsampleY = height / info.height;
  if (Math.abs(downsampleX - downsampleY) > 0.02 * downsampleX) {
    throw new RangeError(
      `Ground truth ${path} is ${info.width}×${info.height}, which does not match the ${width}×${height} slide's aspect ratio`,
    );
  }
  const mask = new Uint8Array(info.width * info.height);
  for (let i = 0; i < mask.length; i++) {
    mask[i] = (data[i] as number) >= 128 ? 1 : 0;
  }
  const m = { mask, width: info.width, height: info.height };
  return { path, ...m, downsampleX, downsampleY, integral: integralImage(m) };
}

/** Fraction of a level-0 square `(x, y, size)` that is tumour. */
export function tumourFraction(
  gt: TumourMask,
  x: number,
  y: number,
  size: number,
): number {
  return coverage(gt, gt.integral, x, y, size);
}

/** 1 when tumour covers at least `minTumour` (default 0.1) of the tile, else 0. */
export function tileLabel(
  gt: TumourMask,
  x: number,
  y: number,
  size: number,
  minTumour = 0.1,
): 0 | 1 {
  const fraction = tumourFraction(gt, x, y, size);
  return fraction > 0 && fraction >= minTumour ? 1 : 0;
}
