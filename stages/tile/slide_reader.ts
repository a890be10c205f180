/**
 * The contract every whole-slide reader fulfils (OpenSlide through FFI,
 * sharp for plain pyramidal TIFF), so the tile stage does not care which one
 * decodes the pixels.
 *
 * @module
 */

import type { RgbImage } from "../../core/types.ts";
export type { RgbImage };

/** A thumbnail with the exact level-0/thumbnail scale on each axis. */
export interface SlideThumbnail extends RgbImage {
  /** Level-0 width divided by thumbnail width. */
  downsampleX: number;
  /** Level-0 height divided by thumbnail height. */
  downsampleY: number;
}

/** Size of one pyramid level in that level's pixels. */
export interface LevelDimensions {
  width: number;
  height: number;
}

/**
 * An open whole-slide image. Coordinates passed to {@link SlideReader.readRegion}
 * are level-0 pixels (the OpenSlide convention); width and height are in
 * pixels of the level read. Pixels outside the image come back white.
 */
export interface SlideReader {
  /** Which implementation this is, e.g. `"openslide"` or `"sharp"`. */
  readonly backend: string;
  /** The path the reader was opened on. */
  readonly path: string;
  /** Format vendor as OpenSlide names it (`"aperio"`, `"generic-tiff"`, …). */
  readonly vendor: string;
  /** Number of pyramid levels (≥ 1). */
  readonly levelCount: number;
  /** Dimensions of each level, level 0 first. */
  readonly levelDimensions: readonly LevelDimensions[];
  /** Downsample of each level relative to level 0 (1 for level 0). */
  readonly levelDownsamples: readonly number[];
  /** Microns per pixel at level 0, when the file says. */
  readonly mpp: number | undefined;
  /** Objective magnification of level 0 (e.g. 20, 40), when the file says. */
  readonly magnification: number | undefined;
  /** Key/value metadata, with OpenSlide's property names where they apply. */
  readonly properties: Readonly<Record<string, string>>;
  /**
   * Reads `width × height` pixels of `level` whose top-left corner is at
   * level-0 `(x, y)`, as RGB bytes (transparent areas composited on white).
   */
  readRegion(
    x: number,
    y: number,
    level: number,
    width: number,
    height: number,
  ): Promise<Uint8Array>;
  /** The whole slide scaled down by about `downsample` (read from the nearest level). */
  thumbnail(downsample: number): Promise<SlideThumbnail>;
  /** Releases the file; further calls fail. */
  close(): void;
}

/** Why a slide could not be opened or read; carries the slide's path. */
export class SlideReadError extends Error {
  /** The slide file concerned. */
  readonly path: string;

  /** Creates an error about the slide at `path`. */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SlideReadError";
    this.path = path;
  }
}

/**
 * The level whose downsample is the largest not exceeding `downsample`
 * (within 1 %, so a level of downsample 8.01 counts as 8 — odd level sizes
 * make such fractions).
 *
 * @example
 * ```ts
 * import { bestLevelForDownsample } from "./slide_reader.ts";
 * if (bestLevelForDownsample([1, 2, 4.002], 4) !== 2) throw new Error();
 * ```
 */
export function bestLevelForDownsample(
  downsamples: readonly number[],
  downsample: number,
): number {
  let best = 0;
  downsamples.forEach((d, i) => {
    if (d <= downsample * 1.01 && d > (downsamples[best] ?? 1)) best = i;
  });
  return best;
}

/** Checks a region request and names the slide in the error when it is invalid. */
export function checkRegion(
  reader: Pick<SlideReader, "path" | "levelCount">,
  level: number,
  width: number,
  height: number,
): void {
  if (!Number.isInteger(level) || level < 0 || level >= reader.levelCount) {
    throw new RangeError(
      `Cannot read a region of ${reader.path}: level must be an integer in [0, ${
        reader.levelCount - 1
      }], got ${level}`,
    );
  }
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 ||
    height <= 0
  ) {
    throw new RangeError(
      `Cannot read a region of ${reader.path}: width and height must be positive integers, got ${width}×${height}`,
    );
  }
}
