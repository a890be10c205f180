/**
 * The records that flow between stages:
 * `SlideRef ─tile→ Tile ─embed→ TileEmbedding ─bag→ Bag ─train→ EpochEvent`.
 *
 * @module
 */

/** A slide to process: where it is and what is known about it up front. */
export interface SlideRef {
  /** Stable identifier (file stem by default); primary key in the store. */
  id: string;
  /** Path of the slide file. */
  path: string;
  /** Class label (index or class name), when known. */
  label?: string | number;
  /** Data split, when fixed up front. */
  split?: Split;
  /** Microns per pixel at level 0, overriding what the file says. */
  mpp?: number;
}

/** Data split of a slide. */
export type Split = "train" | "val" | "test";

/** One tile cut from a slide, with its pixels. */
export interface Tile {
  slideId: string;
  /** Index of the tile within its slide (row-major over the kept grid). */
  index: number;
  /** Level-0 x of the tile's top-left corner. */
  x: number;
  /** Level-0 y of the tile's top-left corner. */
  y: number;
  /** Extent of the tile in level-0 pixels. */
  size: number;
  /** Pyramid level the pixels were read from. */
  level: number;
  /** Fraction of the tile covered by tissue, 0–1. */
  tissueFraction: number;
  /** Ground-truth label of the tile (e.g. 1 = tumour), when known. */
  label?: number;
  /** RGB pixels, row-major, `width × height × 3`. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** The feature vector of one tile from one encoder. */
export interface TileEmbedding {
  slideId: string;
  index: number;
  x: number;
  y: number;
  encoder: string;
  features: Float32Array;
  label?: number;
}

/** All instances of one slide, ready for MIL. */
export interface Bag {
  slideId: string;
  /** Row-major `[n, dim]` features. */
  features: Float32Array;
  n: number;
  dim: number;
  /** Row-major `[n, 2]` level-0 coordinates, when known. */
  coords?: Int32Array;
  /** Class index. */
  label: number;
  split: Split;
  /** Per-instance ground truth, when known. */
  tileLabels?: Int8Array;
}

/** An RGB image held in memory, row-major, 3 bytes per pixel. */
export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}
