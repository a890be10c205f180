/**
 * Exports stored embeddings with DuckDB's `COPY … TO` (Parquet): one row per
 * tile with slide, tile index, level-0 coordinates, slide label and split,
 * encoder and the feature list.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";

/** Options of {@linkcode exportFeatures}. */
export interface ExportFeaturesOptions {
  store: Store;
  format: "parquet";
  /** Output file path. */
  out: string;
  /** Only this encoder's embeddings (default: all). */
  encoder?: string;
}

/**
 * Writes the embeddings to `out` and returns the number of rows written.
 *
 * @example
 * ```ts ignore
 * import { exportFeatures } from "./export_features.ts";
 * const rows = await exportFeatures({ store, format: "parquet", out: "features.parquet" });
 * ```
 */
export async function exportFeatures(
  options: ExportFeaturesOptions,
): Promise<number> {
  const { store, format, out, encoder } = options;
  if (format !== "parquet") {
    throw new RangeError(`Unknown export format "${format}": expected parquet`);
  }
  const count = await store.embeddingCount(encoder);
  if (encoder !== undefined && count === 0) {
    const have = await store.embeddingEncoders();
    throw new RangeError(
      `No embeddings from encoder "${encoder}" to export to ${out}: the store has ${
        have.map((e) => `"${e}"`).join(", ") || "none"
      }`,
    );
  }
  await store.exportEmbeddings(out, encoder);
  return count;
}
