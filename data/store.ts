/**
 * The run store: one DuckDB file holding slides, tiles, embeddings, runs,
 * per-epoch metrics, attention history and predictions.
 *
 * Writes go through transactions that are serialised on the store's single
 * connection, so concurrent stages cannot interleave their statements, and a
 * per-slide transaction that throws leaves nothing of that slide behind.
 *
 * @module
 */
import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
} from "@duckdb/node-api";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";
import {
  CATALOG_SQL,
  catalogFromRows,
  detectSchemaVersion,
} from "./schema_state.ts";
import { MACROS_SQL } from "./macros.ts";
import { DiskFullError, diskFullError, isDiskFull } from "./disk_full.ts";
import {
  isLockConflict,
  lockConflictMessage,
  registerHolder,
  storeHolders,
} from "./store_holders.ts";
import { STABILITY_SQL } from "./stability_sql.ts";
import { StoreWriter } from "./store_writer.ts";
import { plainRow, type Row } from "./plain_row.ts";
import { StoreQueries } from "./store_queries.ts";

export type { StoreWriter } from "./store_writer.ts";
export type * from "./records.ts";

/** A query parameter list or named-parameter object. */
export type Params = DuckDBValue[] | Record<string, DuckDBValue>;

export type { Row } from "./plain_row.ts";

/** Options for {@link Store.open}. */
export interface OpenStoreOptions {
  /** Open without write access (no migrations run). */
  readOnly?: boolean;
  /**
   * DuckDB's buffer-pool limit (e.g. `"2GB"`); default
   * `$ASMIL_DUCKDB_MEMORY`, else {@link DEFAULT_MEMORY_LIMIT}. DuckDB's own
   * default (80 % of RAM) would let a large store's cached blocks grow the
   * process without bound; beyond the limit DuckDB evicts or spills.
   */
  memoryLimit?: string;
  /**
   * Seconds to keep retrying while another process holds the store's lock
   * (default `$ASMIL_STORE_WAIT`, else 0: refuse at once, naming the
   * holder; see data/store_holders.ts).
   */
  waitSeconds?: number;
}

/** Environment variable giving {@link OpenStoreOptions.waitSeconds}. */
export const STORE_WAIT_ENV = "ASMIL_STORE_WAIT";

function waitSeconds(options: OpenStoreOptions): number {
  if (options.waitSeconds !== undefined) return options.waitSeconds;
  try {
    const env = Number(Deno.env.get(STORE_WAIT_ENV) ?? 0);
    return Number.isFinite(env) && env > 0 ? env : 0;
  } catch {
    return 0; // no --allow-env
  }
}

/** DuckDB memory limit of a store unless told otherwise. */
export const DEFAULT_MEMORY_LIMIT = "512MB";

/** Environment variable overriding {@link DEFAULT_MEMORY_LIMIT}. */
export const MEMORY_LIMIT_ENV = "ASMIL_DUCKDB_MEMORY";

function memoryLimit(options: OpenStoreOptions): string {
  if (options.memoryLimit) return options.memoryLimit;
  try {
    return Deno.env.get(MEMORY_LIMIT_ENV) || DEFAULT_MEMORY_LIMIT;
  } catch {
    return DEFAULT_MEMORY_LIMIT; // no --allow-env
  }
}

/**
 * A DuckDB run store.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * await store.slideTransaction("s1", async (tx) => {
 *   await tx.upsertSlide({ id: "s1", path: "s1.tiff", status: "tiled" });
 * });
 * const rows = await store.query("SELECT id FROM slides");
 * if (rows[0]?.id !== "s1") throw new Error("slide not stored");
 * store.close();
 * ```
 */
export class Store extends StoreQueries {
  /** Path of the database file (`:memory:` for an in-memory store). */
  readonly path: string;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #writer: StoreWriter;
  /** What opening the store found and repaired, for a person to read. */
  readonly notes: string[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Removes this process's holder file (data/store_holders.ts). */
  #release: () => void = () => {};

  private constructor(
    path: string,
    instance: DuckDBInstance,
    connection: DuckDBConnection,
  ) {
    super();
    this.path = path;
    this.#instance = instance;
    this.#connection = connection;
    this.#writer = new StoreWriter(connection);
  }

  /** Opens (creating if needed) the store at `path` and migrates it forward. */
  static async open(
    path: string,
    options: OpenStoreOptions = {},
  ): Promise<Store> {
    const config: Record<string, string> = {
      memory_limit: memoryLimit(options),
    };
    if (options.readOnly) config.access_mode = "READ_ONLY";
    let instance: DuckDBInstance;
    const deadline = performance.now() + 1000 * waitSeconds(options);
    for (;;) {
      try {
        instance = await DuckDBInstance.create(path, config);
        break;
      } catch (error) {
        const message = errorMessage(error);
        if (isDiskFull(message)) throw new DiskFullError(path, error);
        if (!isLockConflict(message)) {
          throw new Error(`Cannot open run store "${path}": ${message}`);
        }
        if (performance.now() >= deadline) {
          throw new Error(
            lockConflictMessage(path, message, storeHolders(path)),
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const connection = await instance.connect();
    const store = new Store(path, instance, connection);
    if (path !== ":memory:") {
      store.#release = registerHolder(
        path,
        options.readOnly ? "read" : "write",
      );
    }
    try {
      if (!options.readOnly) {
        await store.#migrate();
        await connection.run(MACROS_SQL);
        await connection.run(STABILITY_SQL);
      } else {
        await store.#checkVersion();
      }
    } catch (error) {
      store.close(); // a refused store is not left locked
      throw diskFullError(path, error);
    }
    return store;
  }

  /** The schema version this store is at. */
  async schemaVersion(): Promise<number> {
    const rows = await this.query(
      "SELECT value FROM meta WHERE key = 'schema_version'",
    ).catch(() => []);
    return Number(rows[0]?.value ?? 0);
  }

  /** The version of DuckDB the store runs on (e.g. `v1.5.0`). */
  async duckdbVersion(): Promise<string> {
    const [row] = await this.query("SELECT version() AS v");
    return String(row?.v);
  }

  /**
   * A random id given to the store when it is created (or first opened for
   * writing by a version that gives ids), so files kept beside it, such as
   * training checkpoints, can tell which store they belong to; undefined
   * for a store opened read-only that has none.
   */
  async storeId(): Promise<string | undefined> {
    const rows = await this.query(
      "SELECT value FROM meta WHERE key = 'store_id'",
    ).catch(() => []);
    const id = rows[0]?.value;
    return id === undefined || id === null ? undefined : String(id);
  }

  /**
   * The version the catalog shows; throws for a store caught between two
   * versions (see data/schema_state.ts), saying what it has and lacks.
   */
  async #detectedVersion(recorded: number): Promise<number> {
    const state = detectSchemaVersion(
      catalogFromRows(await this.query(CATALOG_SQL)),
    );
    if ("version" in state) return state.version;
    throw new Error(
      `Run store "${this.path}" is damaged or half-migrated, so it is not opened: ${state.partial} (its meta table says schema version ${recorded}). Restore the store from a copy, or rebuild it in a new --db; asmil will not guess the missing data`,
    );
  }

  async #migrate(): Promise<void> {
    await this.#connection.run(
      "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    );
    const recorded = await this.schemaVersion();
    if (recorded > SCHEMA_VERSION) {
      throw new Error(
        `Run store "${this.path}" is at schema version ${recorded}, newer than this program's ${SCHEMA_VERSION}: upgrade asmil to open it`,
      );
    }
    // The catalog, not the recorded number, says which migrations have run:
    // running one again would fail on tables it already made.
    const current = await this.#detectedVersion(recorded);
    if (current !== recorded) {
      await this.#connection.run(
        "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
        [String(current)],
      );
      this.notes.push(
        `run store "${this.path}": its meta table said schema version ${
          recorded === 0 ? "none" : recorded
        } but its tables are at version ${current}; the recorded version is repaired`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await this.transaction(async () => {
        await this.#connection.run(migration.sql);
        await this.#connection.run(
          "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
          [String(migration.version)],
        );
      });
    }
    await this.#connection.run(
      `INSERT INTO meta SELECT 'store_id', uuid()::VARCHAR
       WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'store_id')`,
    );
  }

  async #checkVersion(): Promise<void> {
    const recorded = await this.schemaVersion();
    // A lost or edited meta row is repaired by the next writing open; the
    // tables are what a reader needs.
    const current = recorded === SCHEMA_VERSION
      ? recorded
      : await this.#detectedVersion(recorded);
    if (current !== SCHEMA_VERSION) {
      throw new Error(
        `Run store "${this.path}" is at schema version ${current}, expected ${SCHEMA_VERSION}: open it once for writing to migrate it`,
      );
    }
  }

  /** Runs `sql` and returns its rows as plain JS objects. */
  query<T extends Row = Row>(sql: string, params?: Params): Promise<T[]> {
    return this.#serial(async () => {
      const reader = await this.#connection.runAndReadAll(sql, params);
      return reader.getRowObjectsJS().map((row) => plainRow(row) as T);
    });
  }

  /**
   * Runs `sql` and hands its result to `onChunk` one DuckDB data chunk at
   * a time (about 2,048 rows), with the number of rows before it; returns
   * the row count. For reading large columns without a JS value per
   * element (data/column_reader.ts).
   */
  eachChunk(
    sql: string,
    params: Params | undefined,
    onChunk: (chunk: DuckDBDataChunk, rowsBefore: number) => void,
  ): Promise<number> {
    return this.#serial(async () => {
      const result = await this.#connection.stream(sql, params);
      let rows = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) return rows;
        onChunk(chunk, rows);
        rows += chunk.rowCount;
      }
    });
  }

  /** Runs `sql` and returns its column names and rows (for display). */
  select(
    sql: string,
    params?: Params,
  ): Promise<{ columns: string[]; rows: Row[] }> {
    return this.#serial(async () => {
      const reader = await this.#connection.runAndReadAll(sql, params);
      return {
        columns: reader.columnNames(),
        rows: reader.getRowObjectsJS().map(plainRow),
      };
    });
  }

  /** Runs `sql` (any number of statements) for its effect. */
  async exec(sql: string, params?: Params): Promise<void> {
    await this.#serial(() => this.#connection.run(sql, params));
  }

  /**
   * Runs `fn` inside one transaction: all its writes commit together or, if
   * it throws, none do. Transactions are serialised.
   */
  transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      await this.#connection.run("BEGIN TRANSACTION");
      try {
        const result = await fn(this.#writer);
        await this.#connection.run("COMMIT");
        return result;
      } catch (error) {
        // A failed COMMIT (e.g. a full disk) has ended the transaction
        // already; the rollback's own error must not hide the cause.
        await this.#connection.run("ROLLBACK").catch(() => undefined);
        throw diskFullError(this.path, error);
      }
    });
  }

  /**
   * A transaction for one slide's work; an error is rethrown with the slide
   * id in its message and nothing of the slide's writes is kept.
   */
  async slideTransaction<T>(
    slideId: string,
    fn: (tx: StoreWriter) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.transaction(fn);
    } catch (error) {
      const message = errorMessage(error);
      if (message.includes(slideId) || error instanceof DiskFullError) {
        throw error;
      }
      throw new Error(`Slide "${slideId}": ${message}`, { cause: error });
    }
  }

  /** Records that `stage` failed on `slide` (outside any transaction). */
  async recordFailure(
    stage: string,
    slide: string,
    error: unknown,
  ): Promise<void> {
    await this.transaction((tx) =>
      tx.recordFailure(stage, slide, errorMessage(error))
    );
  }

  /** Closes the connection; the store cannot be used afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.closeSync();
    this.#instance.closeSync();
    this.#release();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new Error(`Run store "${this.path}" is closed`),
      );
    }
    const run = () =>
      fn().catch((error) => {
        throw diskFullError(this.path, error);
      });
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** Opens the run store at `path` (see {@link Store.open}). */
export function openStore(
  path: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  return Store.open(path, options);
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
