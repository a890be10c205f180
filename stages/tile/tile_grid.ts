/**
 * The tile grid of a slide: tile size in pixels at a target MPP or
 * magnification, the pyramid level to read from (and whether to resize),
 * the stride from the overlap, and the tissue fraction of every tile, in
 * level-0 coordinates.
 *
 * @module
 */

import { bestLevelForDownsample } from "./slide_reader.ts";
import type { TissueMask } from "./tissue_mask.ts";

/** What grid to cut. Give exactly one of `mpp` and `magnification`. */
export interface TileGridOptions {
  /** Output tile side in pixels (default 256). */
  tileSize?: number;
  /** Target microns per pixel of the output tiles (default 0.5 when no magnification). */
  mpp?: number;
  /** Target objective magnification of the output tiles, e.g. 20. */
  magnification?: number;
  /** Overlap between neighbouring tiles in output pixels (default 0). */
  overlap?: number;
  /** Minimum tissue fraction for a tile to be kept, 0–1 (default 0.5). */
  minTissue?: number;
}

/** What the grid needs to know about a slide. */
export interface SlideGeometry {
  id: string;
  levelDimensions: readonly { width: number; height: number }[];
  levelDownsamples: readonly number[];
  mpp: number | undefined;
  magnification: number | undefined;
}

/** One kept grid position. */
export interface GridTile {
  /** Index among kept tiles, row-major. */
  index: number;
  x: number;
  y: number;
  tissueFraction: number;
}

/** A slide's tile grid. */
export interface TileGrid {
  /** Output side in pixels. */
  tileSize: number;
  /** Level-0 pixels per output pixel. */
  downsample: number;
  /** Pyramid level read from. */
  level: number;
  /** Side of the region read at `level`; resized to `tileSize` when different. */
  readSize: number;
  /** Side of a tile in level-0 pixels. */
  extent: number;
  /** Level-0 distance between neighbouring tile origins. */
  stride: number;
  columns: number;
  rows: number;
  tiles: GridTile[];
}

function positive(name: string, value: number, slide: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot build the tile grid of slide "${slide}": ${name} must be positive, got ${value}`,
    );
  }
  return value;
}

/** Level-0 pixels per output pixel for the requested scale. */
export function targetDownsample(
  slide: SlideGeometry,
  options: TileGridOptions,
): number {
  if (options.mpp !== undefined && options.magnification !== undefined) {
    throw new RangeError(
      `Cannot build the tile grid of slide "${slide.id}": give mpp or magnification, not both (got ${options.mpp} and ${options.magnification})`,
    );
  }
  if (options.magnification !== undefined) {
    const target = positive("magnification", options.magnification, slide.id);
    const base = slide.magnification ??
      (slide.mpp ? 10 / slide.mpp : undefined);
    if (base === undefined) {
      throw new RangeError(
        `Cannot tile slide "${slide.id}" at ${target}×: its magnification and MPP are unknown; give an MPP override`,
      );
    }
    return base / target;
  }
  const target = positive("mpp", options.mpp ?? 0.5, slide.id);
  if (slide.mpp === undefined) {
    throw new RangeError(
      `Cannot tile slide "${slide.id}" at ${target} µm/px: the slide has no MPP; give a per-slide or global MPP override`,
    );
  }
  return target / slide.mpp;
}

/**
 * Lays the grid over the slide and keeps the tiles whose tissue fraction
 * under `mask` is at least `minTissue` (all tiles when `mask` is undefined).
 * Only whole tiles are cut; origins are multiples of the stride at the read
 * level, so readers never resample between pixels.
 *
 * @example
 * ```ts
 * import { tileGrid } from "./tile_grid.ts";
 * const slide = {
 *   id: "s", mpp: 0.25, magnification: 40,
 *   levelDimensions: [{ width: 2048, height: 1024 }, { width: 1024, height: 512 }],
 *   levelDownsamples: [1, 2],
 * };
 * const grid = tileGrid(slide, undefined, { tileSize: 256, mpp: 0.5 });
 * if (grid.level !== 1 || grid.extent !== 512 || grid.tiles.length !== 8) throw new Error();
 * ```
 */
export function tileGrid(
  slide: SlideGeometry,
  mask: TissueMask | undefined,
  options: TileGridOptions = {},
): TileGrid {
  const tileSize = options.tileSize ?? 256;
  if (!Number.isInteger(tileSize) || tileSize <= 0) {
    throw new RangeError(
      `Cannot build the tile grid of slide "${slide.id}": tileSize must be a positive integer, got ${tileSize}`,
    );
  }
  const overlap = options.overlap ?? 0;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tileSize) {
    throw new RangeError(
      `Cannot build the tile grid of slide "${slide.id}": overlap must be an integer in [0, ${
        tileSize - 1
      }], got ${overlap}`,
    );
  }
  const minTissue = options.minTissue ?? 0.5;
  if (!(minTissue >= 0 && minTissue <= 1)) {
    throw new RangeError(
      `Cannot build the tile grid of slide "${slide.id}": minTissue must be in [0, 1], got ${minTissue}`,
    );
  }
  const downsample = targetDownsample(slide, options);
  const level = bestLevelForDownsample(slide.levelDownsamples, downsample);
  const levelDs = slide.levelDownsamples[level] ?? 1;
  const dims = slide.levelDimensions[level] ?? { width: 0, height: 0 };
  const readSize = Math.max(1, Math.round((tileSize * downsample) / levelDs));
  const strideAtLevel = Math.max(
    1,
    Math.round(((tileSize - overlap) * downsample) / levelDs),
  );
  const columns = dims.width >= readSize
    ? Math.floor((dims.width - readSize) / strideAtLevel) + 1
    : 0;
  const rows = dims.height >= readSize
    ? Math.floor((dims.height - readSize) / strideAtLevel) + 1
    : 0;
  const extent = Math.round(readSize * levelDs);
  const integral = mask ? integralImage(mask) : undefined;
  const tiles: GridTile[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const x = Math.round(c * strideAtLevel * levelDs);
      const y = Math.round(r * strideAtLevel * levelDs);
      const tissueFraction = mask && integral
        ? coverage(mask, integral, x, y, extent)
        : 1;
      if (tissueFraction >= minTissue && tissueFraction > 0) {
        tiles.push({ index: tiles.length, x, y, tissueFraction });
      }
    }
  }
  return {
    tileSize,
    downsample,
    level,
    readSize,
    extent,
    stride: Math.round(strideAtLevel * levelDs),
    columns,
    rows,
    tiles,
  };
}

/** Summed-area table of a 0/1 mask, `(w+1) × (h+1)`. */
export function integralImage(
  m: { mask: Uint8Array; width: number; height: number },
): Float64Array {
  const w = m.width + 1;
  const sat = new Float64Array(w * (m.height + 1));
  for (let y = 0; y < m.height; y++) {
    let row = 0;
    for (let x = 0; x < m.width; x++) {
      row += m.mask[y * m.width + x] as number;
      sat[(y + 1) * w + x + 1] = (sat[y * w + x + 1] as number) + row;
    }
  }
  return sat;
}

/**
 * Mean of the mask over a level-0 square, with mask pixels weighted by how
 * much of them the square covers (exact for any scale ratio).
 */
export function coverage(
  m: {
    mask: Uint8Array;
    width: number;
    height: number;
    downsampleX: number;
    downsampleY: number;
  },
  sat: Float64Array,
  x: number,
  y: number,
  size: number,
): number {
  const x0 = x / m.downsampleX, x1 = (x + size) / m.downsampleX;
  const y0 = y / m.downsampleY, y1 = (y + size) / m.downsampleY;
  const area = (x1 - x0) * (y1 - y0);
  return area > 0 ? areaSum(m, sat, x0, y0, x1, y1) / area : 0;
}

function areaSum(
  m: { width: number; height: number },
  sat: Float64Array,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): number {
  // Integral of the piecewise-constant mask over [x0,x1)×[y0,y1): bilinear in the SAT.
  const w = m.width + 1;
  const at = (px: number, py: number): number => {
    const cx = Math.min(Math.max(px, 0), m.width),
      cy = Math.min(Math.max(py, 0), m.height);
    const ix = Math.min(Math.floor(cx), m.width - 1),
      iy = Math.min(Math.floor(cy), m.height - 1);
    const fx = cx - ix, fy = cy - iy;
    const s00 = sat[iy * w + ix] as number,
      s10 = sat[iy * w + ix + 1] as number;
    const s01 = sat[(iy + 1) * w + ix] as number,
      s11 = sat[(iy + 1) * w + ix + 1] as number;
    return s00 * (1 - fx) * (1 - fy) + s10 * fx * (1 - fy) +
      s01 * (1 - fx) * fy + s11 * fx * fy;
  };
  return at(x1, y1) - at(x0, y1) - at(x1, y0) + at(x0, y0);
}
