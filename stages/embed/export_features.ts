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
  const filter = encoder === undefined
    ? ""
    : `WHERE e.encoder = ${literal(encoder)}`;
  const [count] = await store.query(
    `SELECT count(*) AS n FROM embeddings e ${filter}`,
  );
  if (encoder !== undefined && Number(count?.n) === 0) {
    const have = await store.query(
      "SELECT DISTINCT encoder FROM embeddings ORDER BY 1",
    );
    throw new RangeError(
      `No embeddings from encoder "${encoder}" to export to ${out}: the store has ${
        have.map((r) => `"${r.encoder}"`).join(", ") || "none"
      }`,
    );
  }
  // COPY takes no bound parameters, hence the quoted literals.
  await store.exec(
    `COPY (
       SELECT e.slide, e.tile, t.x, t.y, t.size, s.label, s.split, e.encoder, e.features
       FROM embeddings e
       LEFT JOIN tiles t ON t.slide = e.slide AND t.tile = e.tile
       LEFT JOIN slides s ON s.id = e.slide
       ${filter}
       ORDER BY e.encoder, e.slide, e.tile
     ) TO ${literal(out)} (FORMAT parquet)`,
  );
  return Number(count?.n ?? 0);
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
