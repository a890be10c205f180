/**
 * Shared thumbnail logic: read the pyramid level nearest the wanted
 * downsample and scale it to the exact thumbnail size with sharp.
 *
 * @module
 */

import sharp from "sharp";
import {
  bestLevelForDownsample,
  type SlideReader,
  SlideReadError,
  type SlideThumbnail,
} from "./slide_reader.ts";

/** Builds a thumbnail of `reader` at about `downsample` × below level 0. */
export async function thumbnailFromLevels(
  reader: SlideReader,
  downsample: number,
): Promise<SlideThumbnail> {
  if (!(downsample >= 1)) {
    throw new RangeError(
      `Cannot make a thumbnail of ${reader.path}: downsample must be ≥ 1, got ${downsample}`,
    );
  }
  const base = reader.levelDimensions[0];
  if (!base) {
    throw new SlideReadError(reader.path, `${reader.path} has no levels`);
  }
  const width = Math.max(1, Math.round(base.width / downsample));
  const height = Math.max(1, Math.round(base.height / downsample));
  const level = bestLevelForDownsample(reader.levelDownsamples, downsample);
  const dims = reader.levelDimensions[level] ?? base;
  const pixels = await reader.readRegion(0, 0, level, dims.width, dims.height);
  const rgb = dims.width === width && dims.height === height
    ? pixels
    : new Uint8Array(
      await sharp(pixels, {
        raw: { width: dims.width, height: dims.height, channels: 3 },
      })
        .resize(width, height, { fit: "fill", kernel: "linear" })
        .raw()
        .toBuffer(),
    );
  return {
    rgb,
    width,
    height,
    downsampleX: base.width / width,
    downsampleY: base.height / height,
  };
}
