/**
 * Options of the tile stage, their defaults, and the canonical parameter
 * string stored per slide so a rerun can tell whether a slide was tiled the
 * same way.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { SlideRef } from "../../core/types.ts";
import type { ReaderKind } from "./open_slide.ts";
import type { ScaleOverrides } from "./slide_scale.ts";
import type { TileGridOptions } from "./tile_grid.ts";
import type { TissueMaskOptions } from "./tissue_mask.ts";

/** What happened to one slide in the tile stage. */
export interface SlideTileResult {
  slideId: string;
  path: string;
  /**
   * `tiled`: tiles emitted (and stored); `empty`: no tissue, zero tiles;
   * `failed`: see `error`; `skipped`: already tiled with the same parameters
   * (nothing emitted); `reused`: tiles re-read from stored coordinates.
   */
  status: "tiled" | "empty" | "failed" | "skipped" | "reused";
  tiles: number;
  /** Why the slide failed, naming it. */
  error?: string;
  /** A human note, e.g. why a slide has no tiles. */
  note?: string;
  /** Reader backend, level read and level-0 MPP, when the slide was opened. */
  backend?: string;
  level?: number;
  mpp?: number;
  seconds: number;
}

/** Options of {@link TileStream}: the grid, tissue detection, reading and the store. */
export interface TileStreamOptions extends TileGridOptions, ScaleOverrides {
  /** Reader backend (default `"auto"`: OpenSlide if it loads, else sharp). */
  reader?: ReaderKind;
  /** Tissue detection settings. */
  tissue?: TissueMaskOptions;
  /**
   * Thumbnail downsample for tissue detection; default 64, lowered for small
   * slides so the thumbnail's long side is at least 256 pixels (on the
   * synthetic slides a 256-px tile then spans 12–16 mask pixels; a 1024-px
   * thumbnail changed < 1 % of the kept tiles at several times the CPU).
   */
  thumbnailDownsample?: number;
  /** Tumour fraction of a tile for ground-truth label 1 (default 0.1). */
  minTumour?: number;
  /** Run store: slides and tiles are written per slide, all or nothing. */
  store?: Store;
  /**
   * With a store, what to do with a slide already tiled with the same
   * parameters: `skip` (default; emit nothing), `reuse` (emit its stored
   * tiles' pixels without re-detecting tissue), `redo` (tile again);
   * `stored`: like `reuse` for a slide tiled with any parameters (the
   * embed stage reads the tiles the store has, whatever `asmil tile` was
   * given, instead of tiling anew with these options' defaults).
   */
  rerun?: "skip" | "reuse" | "redo" | "stored";
  /** Stop at the first failed slide (default false: record it and go on). */
  failFast?: boolean;
  /** Folder for tissue QC images (`<id>.mask.png`, `<id>.overlay.png`). */
  qcDir?: string;
  /** Tile reads in flight per slide (default 8). */
  prefetch?: number;
  /** Called once per slide with its outcome. */
  onSlide?: (result: SlideTileResult) => void;
  /** Where notes go (empty slides, reader fallback); default `console.warn`. */
  warn?: (message: string) => void;
}

/** Thumbnail downsample for a slide whose level 0 is `width × height`. */
export function thumbnailDownsampleFor(
  width: number,
  height: number,
  requested?: number,
): number {
  if (requested !== undefined) {
    if (!(requested >= 1)) {
      throw new RangeError(`thumbnailDownsample must be ≥ 1, got ${requested}`);
    }
    return requested;
  }
  return Math.min(64, Math.max(1, Math.max(width, height) / 256));
}

/** The MPP override that applies to `slide`, or `"file"`. */
export function mppSourceKey(
  slide: SlideRef,
  options: ScaleOverrides,
): number | "file" {
  return slide.mpp ?? options.mppBySlide?.[slide.id] ?? options.mppOverride ??
    "file";
}

/**
 * Canonical JSON of everything that changes a slide's tiles; equal strings
 * mean a rerun would produce the same tiles.
 */
export function tileParamsKey(
  slide: SlideRef,
  options: TileStreamOptions,
): string {
  const t = options.tissue ?? {};
  const params = {
    v: 1,
    tileSize: options.tileSize ?? 256,
    target: options.magnification !== undefined
      ? { magnification: options.magnification }
      : { mpp: options.mpp ?? 0.5 },
    overlap: options.overlap ?? 0,
    minTissue: options.minTissue ?? 0.5,
    slideMpp: mppSourceKey(slide, options),
    thumbnailDownsample: options.thumbnailDownsample ?? "auto",
    tissue: {
      threshold: t.threshold ?? "otsu",
      minThreshold: t.minThreshold ?? 20,
      medianRadius: t.medianRadius ?? 2,
      closeRadius: t.closeRadius ?? 2,
      minRegionArea: t.minRegionArea ?? 2 * 256 * 256,
      minHoleArea: t.minHoleArea ?? 256 * 256,
      removePen: t.removePen ?? true,
    },
    minTumour: options.minTumour ?? 0.1,
  };
  return JSON.stringify(params);
}
