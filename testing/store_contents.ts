/**
 * For tests: a run store's contents in a canonical, comparable form, so two
 * stores written different ways (in shards and merged, or in one process)
 * can be checked equal row for row, embeddings byte for byte. Timestamps
 * are left out.
 *
 * @module
 */
import { openStore } from "../data/store.ts";

/** The rows of a store that describe its cohort, sorted. */
export interface StoreContents {
  slides: string[];
  tiles: string[];
  encoders: string[];
  /** `slide tile encoder <hex of the float32 bytes>`. */
  embeddings: string[];
  failures: string[];
}

function hex(values: readonly number[]): string {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads `path` read-only into {@link StoreContents}. */
export async function storeContents(path: string): Promise<StoreContents> {
  const store = await openStore(path, { readOnly: true });
  try {
    const lines = async (sql: string) =>
      (await store.query(sql)).map((r) => JSON.stringify(r));
    return {
      slides: await lines(
        `SELECT id, path, label, split, mpp, magnification, width, height,
           vendor, status, error, tile_params FROM slides ORDER BY id`,
      ),
      tiles: await lines("SELECT * FROM tiles ORDER BY slide, tile"),
      encoders: await lines(
        "SELECT name, fingerprint, source, dim FROM encoders ORDER BY name",
      ),
      embeddings: (await store.query(
        "SELECT slide, tile, encoder, features FROM embeddings ORDER BY slide, encoder, tile",
      )).map((r) =>
        `${r.slide} ${r.tile} ${r.encoder} ${hex(r.features as number[])}`
      ),
      failures: await lines(
        "SELECT stage, slide, error FROM failures ORDER BY ALL",
      ),
    };
  } finally {
    store.close();
  }
}
