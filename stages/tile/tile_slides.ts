/**
 * `asmil tile`: tile a folder or CSV of slides into the run store, with QC
 * images, and summarise what happened to each slide.
 *
 * @module
 */

import { openStore, type Store } from "../../data/store.ts";
import type { SlideRef } from "../../core/types.ts";
import { listSlides } from "./slide_list.ts";
import { readMppCsv } from "./slide_scale.ts";
import {
  type SlideTileResult,
  TileStream,
  type TileStreamOptions,
} from "./tile_stream.ts";

/** Options of {@link tileSlides}. */
export interface TileSlidesOptions extends Omit<TileStreamOptions, "store"> {
  /** `--slides DIR|CSV`, or the slides themselves. */
  slides: string | readonly SlideRef[];
  /** `--db PATH`: the run store (a path is opened and closed here), or an open store. */
  db?: string | Store;
  /** `--mpp-csv PATH`: per-slide MPP overrides (`slide_id,mpp`). */
  mppCsv?: string;
}

/** What {@link tileSlides} did. */
export interface TileSlidesSummary {
  results: SlideTileResult[];
  /** Tiles emitted in this run. */
  tiles: number;
  seconds: number;
  tilesPerSecond: number;
  failed: number;
}

/**
 * Tiles every slide (tile pixels are read and dropped; coordinates, tissue
 * fractions and labels go to the store). Failed slides are in the summary
 * and the store, and the run goes on unless `failFast`.
 *
 * @example
 * ```ts ignore
 * import { tileSlides } from "./tile_slides.ts";
 * const s = await tileSlides({ slides: "out/synthetic", db: "runs/asmil.duckdb", qcDir: "out/qc" });
 * console.log(`${s.tiles} tiles, ${s.failed} failed, ${s.tilesPerSecond.toFixed(0)} tiles/s`);
 * ```
 */
export async function tileSlides(
  options: TileSlidesOptions,
): Promise<TileSlidesSummary> {
  const { slides: source, db, mppCsv, ...streamOptions } = options;
  const slides = typeof source === "string"
    ? await listSlides(source)
    : [...source];
  const mppBySlide = mppCsv
    ? { ...(await readMppCsv(mppCsv)), ...streamOptions.mppBySlide }
    : streamOptions.mppBySlide;
  const store = typeof db === "string" ? await openStore(db) : db;
  const started = performance.now();
  let tiles = 0;
  try {
    const stage = new TileStream({
      ...streamOptions,
      ...(mppBySlide ? { mppBySlide } : {}),
      ...(store ? { store } : {}),
    });
    for await (const _tile of ReadableStream.from(slides).pipeThrough(stage)) {
      tiles++;
    }
    const seconds = (performance.now() - started) / 1000;
    const results = [...stage.results];
    return {
      results,
      tiles,
      seconds,
      tilesPerSecond: seconds > 0 ? tiles / seconds : 0,
      failed: results.filter((r) => r.status === "failed").length,
    };
  } finally {
    if (typeof db === "string") store?.close();
  }
}
