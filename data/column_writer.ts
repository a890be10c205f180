/**
 * Writing a `FLOAT[]` (or `USMALLINT[]`) column of a DuckDB data chunk in
 * bulk: the lists' values are concatenated into one typed array and copied into the
 * chunk's child vector at once, with their offsets and lengths, where the
 * binding's own `setColumnValues` sets every element through a JS call (a
 * chunk of 2,048 rows × 1024 floats is two million calls). Used for
 * embeddings, the store's bulk of data, and the 16-bit attention history.
 *
 * @module
 */
import bindings from "@duckdb/node-bindings";
import type { DuckDBDataChunk } from "@duckdb/node-api";

/** Element types of the list columns written in bulk. */
export type ListElement = "float" | "usmallint";

/**
 * Sets column `column` (type `FLOAT[]`, or `USMALLINT[]` with `element`
 * `"usmallint"`) of a freshly created `chunk` to `lists`, one per row; the
 * chunk's row count must be `lists.length`.
 *
 * @example
 * ```ts ignore
 * const chunk = DuckDBDataChunk.create([VARCHAR, LIST(FLOAT)], 2);
 * chunk.setColumnValues(0, ["a", "b"]);
 * setListColumn(chunk, 1, [new Float32Array([1, 2]), [3]]);
 * ```
 */
export function setListColumn(
  chunk: DuckDBDataChunk,
  column: number,
  lists: readonly ArrayLike<number>[],
  element: ListElement = "float",
): void {
  if (chunk.rowCount !== lists.length) {
    throw new Error(
      `Expected one list per row (${chunk.rowCount}): got ${lists.length}`,
    );
  }
  const raw = (chunk as unknown as { chunk: bindings.DataChunk }).chunk;
  const vector = bindings.data_chunk_get_vector(raw, column);
  const entries = new BigUint64Array(2 * lists.length);
  let total = 0;
  lists.forEach((list, i) => {
    entries[2 * i] = BigInt(total);
    entries[2 * i + 1] = BigInt(list.length);
    total += list.length;
  });
  const values = element === "float"
    ? new Float32Array(total)
    : new Uint16Array(total);
  let at = 0;
  for (const list of lists) {
    values.set(list, at);
    at += list.length;
  }
  bindings.list_vector_reserve(vector, total);
  bindings.list_vector_set_size(vector, total);
  const child = bindings.list_vector_get_child(vector);
  bindings.copy_data_to_vector(
    child,
    0,
    values.buffer,
    values.byteOffset,
    values.byteLength,
  );
  bindings.copy_data_to_vector(
    vector,
    0,
    entries.buffer,
    entries.byteOffset,
    entries.byteLength,
  );
}
