/**
 * The store's reads of slides and tiles: one slide's row, its tiles, every
 * slide's label and split, the tiled slides still to embed, and how many
 * slides of a generated data set have tiles. Mixed into `Store`
 * (data/store_access.ts).
 *
 * @module
 */
import type { TileRecord } from "./records.ts";
import { type StoreAccessClass, stringOrNull } from "./store_access.ts";

/** A `slides` row as the stages read it back. */
export interface SlideRow {
  id: string;
  path: string;
  /** As stored (class index or name), null when absent. */
  label: string | null;
  split: string | null;
  width: number | null;
  height: number | null;
  /** e.g. `pending`, `tiled`, `failed`, `empty`, `imported`. */
  status: string;
  /** The parameters the slide was tiled with (see the tile stage). */
  tileParams: string | null;
  error: string | null;
}

/** A `tiles` row of one slide. */
export interface StoredTile extends TileRecord {
  tissue: number | null;
  /** Ground-truth tile label (1 tumour, 0 not), null when unknown. */
  label: number | null;
}

/** A slide's stored label and split. */
export interface SlideLabel {
  id: string;
  label: string | null;
  split: string | null;
}

/** A tiled slide and whether it has embeddings from a given encoder. */
export interface TiledSlide {
  id: string;
  path: string;
  embedded: boolean;
}

/**
 * Adds the slide and tile reads to a store class.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * await store.transaction(async (tx) => {
 *   await tx.upsertSlide({ id: "a", path: "a.tiff", label: 1, status: "tiled" });
 *   await tx.replaceTiles("a", [{ tile: 0, x: 0, y: 0, size: 256, level: 0 }]);
 * });
 * const [label] = await store.slideLabels();
 * if (label?.label !== "1" || (await store.tiles("a")).length !== 1) {
 *   throw new Error("slide not read back");
 * }
 * store.close();
 * ```
 */
export function withSlideQueries<B extends StoreAccessClass>(Base: B) {
  abstract class SlideQueries extends Base {
    /** The `slides` row of `id`, or undefined when the store has none. */
    async slideRow(id: string): Promise<SlideRow | undefined> {
      const [row] = await this.query(
        `SELECT id, path, label, split, width, height, status, tile_params,
           error
         FROM slides WHERE id = ?`,
        [id],
      );
      return row && {
        id: String(row.id),
        path: String(row.path),
        label: stringOrNull(row.label),
        split: stringOrNull(row.split),
        width: row.width === null ? null : Number(row.width),
        height: row.height === null ? null : Number(row.height),
        status: String(row.status),
        tileParams: stringOrNull(row.tile_params),
        error: stringOrNull(row.error),
      };
    }

    /** The tiles of `slide` in index order (none for an unknown slide). */
    tiles(slide: string): Promise<StoredTile[]> {
      return this.query<StoredTile & Record<string, unknown>>(
        `SELECT tile, x, y, size, level, tissue, label FROM tiles
         WHERE slide = ? ORDER BY tile`,
        [slide],
      );
    }

    /** Every slide's id, stored label and split, by id. */
    async slideLabels(): Promise<SlideLabel[]> {
      return (await this.query(
        "SELECT id, label, split FROM slides ORDER BY id",
      )).map((r) => ({
        id: String(r.id),
        label: stringOrNull(r.label),
        split: stringOrNull(r.split),
      }));
    }

    /** The slides with status `tiled`, by id, and whether `encoder` embedded each. */
    async tiledSlides(encoder: string): Promise<TiledSlide[]> {
      return (await this.query(
        `SELECT id, path, EXISTS (SELECT 1 FROM embeddings e
           WHERE e.slide = s.id AND e.encoder = ?) AS embedded
         FROM slides s WHERE status = 'tiled' ORDER BY id`,
        [encoder],
      )).map((r) => ({
        id: String(r.id),
        path: String(r.path),
        embedded: Boolean(r.embedded),
      }));
    }

    /** How many slides whose id starts with `prefix` have tiles. */
    async slidesWithTiles(prefix: string): Promise<number> {
      const [row] = await this.query(
        "SELECT count(DISTINCT slide) AS n FROM tiles WHERE starts_with(slide, ?)",
        [prefix],
      );
      return Number(row?.n ?? 0);
    }
  }
  return SlideQueries;
}
