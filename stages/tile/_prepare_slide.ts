/**
 * Everything the tile stage does for a slide before reading tiles: the
 * rerun check, opening the slide, its scale, tissue detection on a
 * thumbnail, the grid (or the stored tiles when reusing), QC images and the
 * ground truth. The stream prepares the next slide while it reads the
 * current one.
 *
 * @module
 */

import type { SlideRef } from "../../core/types.ts";
import { loadTumourMask, type TumourMask } from "./ground_truth.ts";
import { openSlide } from "./open_slide.ts";
import type { SlideReader } from "./slide_reader.ts";
import { type SlideScale, slideScale } from "./slide_scale.ts";
import { tileGrid } from "./tile_grid.ts";
import {
  thumbnailDownsampleFor,
  tileParamsKey,
  type TileStreamOptions,
} from "./tile_options.ts";
import { tissueMask } from "./tissue_mask.ts";
import { writeTissueQc } from "./tissue_qc.ts";
import { storedSlide, storedTiles } from "./_tile_store.ts";

/** One tile to read: level-0 origin, level, side read there and level-0 extent. */
export interface TileJob {
  x: number;
  y: number;
  level: number;
  readSize: number;
  extent: number;
  tissueFraction: number;
}

/** A slide ready for reading. */
export interface PreparedSlide {
  kind: "ready";
  slide: SlideRef;
  reader: SlideReader;
  scale: SlideScale;
  jobs: TileJob[];
  tileSize: number;
  level: number;
  truth: TumourMask | undefined;
  params: string;
  /** Tiles come from the store (rerun `reuse`): nothing is written back. */
  reused: boolean;
}

/** The outcome of preparing a slide. */
export type Preparation =
  | PreparedSlide
  | { kind: "skipped"; slide: SlideRef }
  | { kind: "failed"; slide: SlideRef; error: unknown };

/** Prepares `slide`; never rejects (a failure is returned). */
export async function prepareSlide(
  slide: SlideRef,
  o: TileStreamOptions,
): Promise<Preparation> {
  let reader: SlideReader | undefined;
  try {
    const params = tileParamsKey(slide, o);
    let reused = false;
    if (o.store && (o.rerun ?? "skip") !== "redo") {
      const previous = await storedSlide(o.store, slide.id);
      const sameTiles = o.rerun === "stored" ||
        previous?.tileParams === params;
      const done = previous !== undefined && sameTiles &&
        (previous.status === "tiled" || previous.status === "empty");
      if (done && (o.rerun ?? "skip") === "skip") {
        return { kind: "skipped", slide };
      }
      reused = done;
    }
    reader = openSlide(slide.path, {
      reader: o.reader ?? "auto",
      ...(o.warn ? { warn: o.warn } : {}),
    });
    const base = reader.levelDimensions[0] ?? { width: 0, height: 0 };
    const scale = slideScale(slide, reader, o);
    const geometry = {
      id: slide.id,
      levelDimensions: reader.levelDimensions,
      levelDownsamples: reader.levelDownsamples,
      mpp: scale.mpp,
      magnification: scale.magnification,
    };
    const tileSize = o.tileSize ?? 256;
    let jobs: TileJob[], level: number;
    if (reused && o.store) {
      const downsamples = reader.levelDownsamples;
      jobs = (await storedTiles(o.store, slide.id)).map((t) => ({
        x: t.x,
        y: t.y,
        level: t.level,
        extent: t.size,
        readSize: Math.round(t.size / (downsamples[t.level] ?? 1)),
        tissueFraction: t.tissue ?? 1,
      }));
      level = jobs[0]?.level ??
        tileGrid(geometry, undefined, { ...o, minTissue: 0 }).level;
    } else {
      const downsample = thumbnailDownsampleFor(
        base.width,
        base.height,
        o.thumbnailDownsample,
      );
      const thumbnail = await reader.thumbnail(downsample);
      const mask = tissueMask(thumbnail, o.tissue);
      const grid = tileGrid(geometry, mask, o);
      if (o.qcDir) {
        await writeTissueQc(o.qcDir, slide.id, thumbnail, mask, grid);
      }
      level = grid.level;
      jobs = grid.tiles.map((t) => ({
        x: t.x,
        y: t.y,
        level: grid.level,
        readSize: grid.readSize,
        extent: grid.extent,
        tissueFraction: t.tissueFraction,
      }));
    }
    const truth = await loadTumourMask(slide.path, base.width, base.height);
    return {
      kind: "ready",
      slide,
      reader,
      scale,
      jobs,
      tileSize,
      level,
      truth,
      params,
      reused,
    };
  } catch (error) {
    reader?.close();
    return { kind: "failed", slide, error };
  }
}
