/**
 * Query rows as plain JS values: BIGINT as number when it is a safe
 * integer (else a string), lists and structs converted recursively.
 *
 * @module
 */

/** A row as plain JS values. */
export type Row = Record<string, unknown>;

/**
 * Converts one row returned by DuckDB's `getRowObjectsJS()`.
 *
 * @example
 * ```ts
 * import { plainRow } from "./plain_row.ts";
 * if (plainRow({ n: 42n, l: [1n] }).n !== 42) throw new Error();
 * ```
 */
export function plainRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = plainValue(value);
  return out;
}

function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value instanceof Date) return value;
  if (value !== null && typeof value === "object") {
    return plainRow(value as Record<string, unknown>);
  }
  return value;
}
