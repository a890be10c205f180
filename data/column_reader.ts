/**
 * Reading numeric and float-list columns of a query straight out of
 * DuckDB's result vectors into typed arrays, without a JS value per element.
 * A slide's embeddings (10,000 tiles × 1024 floats) come out as one
 * `Float32Array` copy per result chunk instead of ten million boxed numbers.
 *
 * The vectors of `@duckdb/node-api` keep their data in typed arrays over
 * DuckDB's own memory (`items`); they are not part of the typed API, so
 * each read falls back to `getItem` per value when they are absent.
 *
 * @module
 */
import type {
  DuckDBDataChunk,
  DuckDBListVector,
  DuckDBVector,
} from "@duckdb/node-api";

/** The typed array behind a numeric vector, when the binding exposes it. */
function itemsOf(vector: DuckDBVector): ArrayLike<number> | undefined {
  const items = (vector as unknown as { items?: unknown }).items;
  return ArrayBuffer.isView(items) && !(items instanceof DataView)
    ? items as unknown as ArrayLike<number>
    : undefined;
}

/**
 * Appends the values of numeric column `column` of `chunk` to `out` from
 * index `at`; NULL is an error naming `what`.
 *
 * @example
 * ```ts ignore
 * copyNumbers(chunk, 0, tiles, row, "tile");
 * ```
 */
export function copyNumbers(
  chunk: DuckDBDataChunk,
  column: number,
  out: { [i: number]: number; length: number },
  at: number,
  what: string,
): void {
  const vector = chunk.getColumnVector(column);
  const items = itemsOf(vector);
  for (let i = 0; i < chunk.rowCount; i++) {
    const value = items ? items[i] : vector.getItem(i);
    if (value === null || value === undefined) {
      throw new Error(
        `Expected a number in ${what}: got NULL at row ${at + i}`,
      );
    }
    out[at + i] = Number(value);
  }
}

/**
 * Copies the float lists of column `column` of `chunk` (each of length
 * `dim`) into `out`, row `at + i` at offset `(at + i) · dim`. A list of
 * another length is an error naming `what` and the row (the column must be
 * NOT NULL).
 */
export function copyFloatLists(
  chunk: DuckDBDataChunk,
  column: number,
  dim: number,
  out: Float32Array,
  at: number,
  what: string,
): void {
  const lists = chunk.getColumnVector(column) as DuckDBListVector;
  const child = lists.childVector;
  const items = itemsOf(child);
  for (let i = 0; i < chunk.rowCount; i++) {
    const length = lists.getEntryLength(i);
    if (length !== dim) {
      throw new Error(
        `Expected ${dim} values per row in ${what}: row ${
          at + i
        } has ${length}`,
      );
    }
    const offset = lists.getEntryOffset(i), target = (at + i) * dim;
    if (items instanceof Float32Array) {
      out.set(items.subarray(offset, offset + dim), target);
    } else {
      for (let j = 0; j < dim; j++) {
        out[target + j] = Number(child.getItem(offset + j));
      }
    }
  }
}
