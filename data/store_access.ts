/**
 * What the store's query groups build on: the connection-level operations
 * of the run store, declared here and implemented by `Store`
 * (data/store.ts). Each group (data/slide_queries.ts, …) is a mixin over
 * this class that adds named, typed methods with their SQL, so callers
 * write `store.tiles(slide)` and the SQL stays in data/.
 *
 * @module
 */
import type { DuckDBDataChunk } from "@duckdb/node-api";
import type { Row } from "./plain_row.ts";
import type { Params } from "./store.ts";
import type { StoreWriter } from "./store_writer.ts";

/** The operations of a run store that its query groups use. */
export abstract class StoreAccess {
  /** Path of the database file (`:memory:` for an in-memory store). */
  abstract readonly path: string;
  /** Runs `sql` and returns its rows as plain JS objects. */
  abstract query<T extends Row = Row>(
    sql: string,
    params?: Params,
  ): Promise<T[]>;
  /** Runs `sql` and hands its result to `onChunk` one data chunk at a time. */
  abstract eachChunk(
    sql: string,
    params: Params | undefined,
    onChunk: (chunk: DuckDBDataChunk, rowsBefore: number) => void,
  ): Promise<number>;
  /** Runs `sql` (any number of statements) for its effect. */
  abstract exec(sql: string, params?: Params): Promise<void>;
  /** Runs `fn` inside one transaction. */
  abstract transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T>;
}

/**
 * The class a query group mixes into. TypeScript requires a mixin base's
 * constructor to take `any[]`.
 */
// deno-lint-ignore no-explicit-any
export type StoreAccessClass = abstract new (...args: any[]) => StoreAccess;

/** A nullable column value as a string or null. */
export function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** `text` as a quoted SQL string literal (for statements without parameters). */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
