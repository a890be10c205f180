/**
 * What the tile stage reads from and writes to the run store, in one place:
 * a slide's previous status and parameters (for rerun skip), its stored
 * tiles (to re-emit them), and per-slide all-or-nothing writes of a tiled,
 * empty or failed slide. Slide paths are stored absolute, so the store
 * works from any working directory.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Store } from "../../data/store.ts";
import type { SlideRecord, TileRecord } from "../../data/records.ts";

/** A slide's row as the tile stage needs it for resume. */
export interface StoredSlide {
  status: string;
  tileParams: string | null;
  error: string | null;
}

/** The slide's previous status and tile parameters, or undefined when unseen. */
export async function storedSlide(
  store: Store,
  slideId: string,
): Promise<StoredSlide | undefined> {
  const row = await store.slideRow(slideId);
  return row
    ? { status: row.status, tileParams: row.tileParams, error: row.error }
    : undefined;
}

/** The stored tiles of a slide, in index order. */
export function storedTiles(
  store: Store,
  slideId: string,
): Promise<TileRecord[]> {
  return store.tiles(slideId);
}

/** Writes a tiled (or empty) slide and replaces its tiles, in one transaction. */
export async function saveTiledSlide(
  store: Store,
  slide: SlideRecord,
  tiles: readonly TileRecord[],
): Promise<void> {
  await store.slideTransaction(slide.id, async (tx) => {
    await tx.upsertSlide({ ...slide, path: storedPath(slide.path) });
    await tx.replaceTiles(slide.id, tiles);
  });
}

/**
 * Marks a slide failed with its reason, drops any tiles it had, and appends
 * to `failures` (stage `tile`), in one transaction.
 */
export async function saveFailedSlide(
  store: Store,
  slide: SlideRecord,
  error: string,
): Promise<void> {
  await store.slideTransaction(slide.id, async (tx) => {
    await tx.upsertSlide({
      ...slide,
      path: storedPath(slide.path),
      status: "failed",
      error,
    });
    await tx.replaceTiles(slide.id, []);
    await tx.recordFailure("tile", slide.id, error);
  });
}

/** The path stored for a slide: absolute (against the working directory). */
function storedPath(path: string): string {
  return resolve(path);
}
