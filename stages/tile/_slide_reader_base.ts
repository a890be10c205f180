/**
 * What the slide readers share: the metadata fields of {@link SlideReader},
 * filled from the levels a reader found and the slide's properties (named
 * as OpenSlide names them), and the thumbnail read from the levels.
 *
 * @module
 */

import { thumbnailFromLevels } from "./_thumbnail.ts";
import type {
  LevelDimensions,
  SlideReader,
  SlideThumbnail,
} from "./slide_reader.ts";

/** What a reader found when it opened a slide. */
export interface OpenedSlide {
  levelDimensions: readonly LevelDimensions[];
  levelDownsamples: readonly number[];
  properties: Readonly<Record<string, string>>;
  /** The vendor when the properties name none. */
  defaultVendor: string;
}

/**
 * A {@link SlideReader} but for how it reads: readers extend it with
 * `backend`, `readRegion` and `close`.
 */
export abstract class SlideReaderBase implements SlideReader {
  abstract readonly backend: string;
  readonly path: string;
  readonly vendor: string;
  readonly levelCount: number;
  readonly levelDimensions: readonly LevelDimensions[];
  readonly levelDownsamples: readonly number[];
  readonly mpp: number | undefined;
  readonly magnification: number | undefined;
  readonly properties: Readonly<Record<string, string>>;

  /** Fills the metadata of the slide at `path` from what opening it found. */
  protected constructor(path: string, slide: OpenedSlide) {
    this.path = path;
    this.properties = slide.properties;
    this.vendor = slide.properties["openslide.vendor"] ?? slide.defaultVendor;
    this.levelCount = slide.levelDimensions.length;
    this.levelDimensions = slide.levelDimensions;
    this.levelDownsamples = slide.levelDownsamples;
    const mpp = Number(slide.properties["openslide.mpp-x"]);
    this.mpp = mpp > 0 ? mpp : undefined;
    const mag = Number(slide.properties["openslide.objective-power"]);
    this.magnification = mag > 0 ? mag : undefined;
  }

  abstract readRegion(
    x: number,
    y: number,
    level: number,
    width: number,
    height: number,
  ): Promise<Uint8Array>;

  abstract close(): void;

  /** The whole slide scaled down by about `downsample`. */
  thumbnail(downsample: number): Promise<SlideThumbnail> {
    return thumbnailFromLevels(this, downsample);
  }
}
