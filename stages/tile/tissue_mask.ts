/**
 * Tissue detection on a slide thumbnail: HSV saturation → median blur →
 * threshold (fixed or Otsu) → marker-pen removal → morphological close →
 * drop small tissue regions and fill small holes.
 *
 * @module
 */

import {
  close,
  dilate,
  filterRegions,
  type GreyImage,
  medianFilter,
} from "./_morphology.ts";
import type { SlideThumbnail } from "./slide_reader.ts";

/** Options of {@link tissueMask}. */
export interface TissueMaskOptions {
  /** `"otsu"` (default) or a fixed saturation threshold in 0–255. */
  threshold?: "otsu" | number;
  /** Lowest threshold Otsu may pick, so bare glass never becomes tissue (default 20). */
  minThreshold?: number;
  /** Median blur radius in thumbnail pixels (default 2, a 5×5 window). */
  medianRadius?: number;
  /** Closing radius in thumbnail pixels (default 2). */
  closeRadius?: number;
  /** Tissue regions smaller than this many level-0 pixels are dropped (default 2·256²). */
  minRegionArea?: number;
  /** Holes smaller than this many level-0 pixels are filled (default 256²). */
  minHoleArea?: number;
  /** Remove green/blue/black marker ink (default true). */
  removePen?: boolean;
}

/** A tissue mask at thumbnail scale. */
export interface TissueMask {
  /** 1 = tissue, 0 = background, row-major `width × height`. */
  mask: Uint8Array;
  width: number;
  height: number;
  /** Level-0 pixels per mask pixel on each axis. */
  downsampleX: number;
  downsampleY: number;
  /** Saturation threshold used (0–255). */
  threshold: number;
  /** Fraction of mask pixels that are tissue. */
  tissueFraction: number;
  /** Number of tissue regions kept. */
  regions: number;
  /** Pixels flagged as marker ink (before dilation). */
  penPixels: number;
}

/**
 * Otsu's threshold of a 256-bin histogram: the level that maximises the
 * between-class variance; values `> t` are foreground.
 */
export function otsuThreshold(histogram: ArrayLike<number>): number {
  let total = 0, sum = 0;
  for (let i = 0; i < 256; i++) {
    total += histogram[i] ?? 0;
    sum += i * (histogram[i] ?? 0);
  }
  let wB = 0, sumB = 0, best = 0, bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += histogram[t] ?? 0;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * (histogram[t] ?? 0);
    const mB = sumB / wB, mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return best;
}

/**
 * Saturation of each pixel (HSV, 0–255) and a marker-ink flag: H&E never
 * lets more green than red through (both stains absorb green at least as
 * much as red), so green excess means green or blue ink; very dark pixels
 * are black ink.
 */
export function saturationAndInk(
  rgb: Uint8Array,
  n: number,
): { saturation: Uint8Array; ink: Uint8Array } {
  const saturation = new Uint8Array(n);
  const ink = new Uint8Array(n);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const r = rgb[o] as number,
      g = rgb[o + 1] as number,
      b = rgb[o + 2] as number;
    const max = r > g ? (r > b ? r : b) : (g > b ? g : b);
    const min = r < g ? (r < b ? r : b) : (g < b ? g : b);
    saturation[i] = max === 0 ? 0 : Math.round((255 * (max - min)) / max);
    if ((g > r + 15 && max - min > 40) || max < 60) ink[i] = 1;
  }
  return { saturation, ink };
}

/**
 * Finds tissue in a thumbnail.
 *
 * @example
 * ```ts
 * import { tissueMask } from "./tissue_mask.ts";
 * const width = 40, height = 40, rgb = new Uint8Array(width * height * 3).fill(242);
 * for (let y = 10; y < 30; y++) for (let x = 10; x < 30; x++) rgb.set([225, 150, 200], (y * width + x) * 3);
 * const m = tissueMask({ rgb, width, height, downsampleX: 64, downsampleY: 64 });
 * if (m.mask[20 * width + 20] !== 1 || m.mask[0] !== 0) throw new Error();
 * ```
 */
export function tissueMask(
  thumbnail: SlideThumbnail,
  options: TissueMaskOptions = {},
): TissueMask {
  const { width, height, downsampleX, downsampleY } = thumbnail;
  const n = width * height;
  if (thumbnail.rgb.length !== n * 3) {
    throw new RangeError(
      `Cannot detect tissue: expected ${
        n * 3
      } RGB bytes for a ${width}×${height} thumbnail, got ${thumbnail.rgb.length}`,
    );
  }
  const { saturation, ink } = saturationAndInk(thumbnail.rgb, n);
  const blurred: GreyImage = medianFilter(
    { data: saturation, width, height },
    options.medianRadius ?? 2,
  );
  let threshold: number;
  if (options.threshold === undefined || options.threshold === "otsu") {
    const hist = new Int32Array(256);
    const b = blurred.data;
    for (let i = 0; i < n; i++) hist[b[i] as number]!++;
    threshold = Math.max(options.minThreshold ?? 20, otsuThreshold(hist));
  } else if (options.threshold >= 0 && options.threshold <= 255) {
    threshold = options.threshold;
  } else {
    throw new RangeError(
      `Cannot detect tissue: threshold must be "otsu" or in [0, 255], got ${options.threshold}`,
    );
  }
  let mask: Uint8Array = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    mask[i] = (blurred.data[i] as number) > threshold ? 1 : 0;
  }
  let penPixels = 0;
  if (options.removePen ?? true) {
    for (let i = 0; i < n; i++) penPixels += ink[i] as number;
    if (penPixels > 0) {
      // Dilate so the ink's soft, half-covered rim goes too.
      const pen = dilate(ink, width, height, 2);
      for (let i = 0; i < n; i++) if (pen[i]) mask[i] = 0;
    }
  }
  mask = close(mask, width, height, options.closeRadius ?? 2);
  const pixelArea = downsampleX * downsampleY;
  const minRegion = (options.minRegionArea ?? 2 * 256 * 256) / pixelArea;
  const minHole = (options.minHoleArea ?? 256 * 256) / pixelArea;
  filterRegions(
    mask,
    width,
    height,
    0,
    (area, border) => border || area >= minHole,
  );
  const regions = filterRegions(
    mask,
    width,
    height,
    1,
    (area) => area >= minRegion,
  );
  let tissue = 0;
  for (let i = 0; i < n; i++) tissue += mask[i] as number;
  return {
    mask,
    width,
    height,
    downsampleX,
    downsampleY,
    threshold,
    tissueFraction: tissue / n,
    regions,
    penPixels,
  };
}
