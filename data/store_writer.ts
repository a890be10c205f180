/**
 * The write side of the run store, handed to transaction callbacks. Bulk rows
 * go through DuckDB appenders; single rows through prepared statements.
 *
 * @module
 */
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  FLOAT,
  INTEGER,
  LIST,
  listValue,
  USMALLINT,
  VARCHAR,
} from "@duckdb/node-api";
import type {
  AttentionRecord,
  EmbeddingRecord,
  EpochRecord,
  MetricRecord,
  PredictionRecord,
  RunRecord,
  SlideRecord,
  TileRecord,
} from "./records.ts";
import type { Params } from "./store.ts";
import { plainRow, type Row } from "./plain_row.ts";
import { quantiseAttention } from "./attention_quantise.ts";
import { setListColumn } from "./column_writer.ts";

/** Writes inside one transaction of a {@link Store}. */
export class StoreWriter {
  readonly #connection: DuckDBConnection;

  /** Wraps a connection; made by the store, not by users. */
  constructor(connection: DuckDBConnection) {
    this.#connection = connection;
  }

  /** Reads inside the transaction (sees its uncommitted writes). */
  async query(sql: string, params?: Params): Promise<Row[]> {
    const reader = await this.#connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map(plainRow);
  }

  /** Runs a statement inside the transaction. */
  async exec(sql: string, params?: Params): Promise<void> {
    await this.#connection.run(sql, params);
  }

  /** Inserts or replaces a slide row. */
  async upsertSlide(slide: SlideRecord): Promise<void> {
    await this.#connection.run(
      `INSERT OR REPLACE INTO slides
        (id, path, label, split, mpp, magnification, width, height, vendor,
         status, error, tile_params, updated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)`,
      [
        slide.id,
        slide.path,
        slide.label === undefined || slide.label === null
          ? null
          : String(slide.label),
        slide.split ?? null,
        slide.mpp ?? null,
        slide.magnification ?? null,
        slide.width ?? null,
        slide.height ?? null,
        slide.vendor ?? null,
        slide.status ?? "pending",
        slide.error ?? null,
        slide.tileParams ?? null,
      ],
    );
  }

  /**
   * Sets the label of slide `id` and, unless `split` is null or undefined,
   * its split.
   */
  async setSlideLabel(
    id: string,
    label: string | number | null,
    split?: string | null,
  ): Promise<void> {
    await this.#connection.run(
      `UPDATE slides SET label = ?, split = coalesce(?, split),
         updated = current_timestamp
       WHERE id = ?`,
      [label === null ? null : String(label), split ?? null, id],
    );
  }

  /** Replaces the tiles of `slide` with `tiles`. */
  async replaceTiles(
    slide: string,
    tiles: readonly TileRecord[],
  ): Promise<void> {
    await this.#connection.run("DELETE FROM tiles WHERE slide = ?", [slide]);
    await this.#append("tiles", (a) => {
      for (const t of tiles) {
        a.appendVarchar(slide);
        a.appendInteger(t.tile);
        a.appendBigInt(BigInt(t.x));
        a.appendBigInt(BigInt(t.y));
        a.appendInteger(t.size);
        a.appendInteger(t.level);
        nullable(a, t.tissue, (v) => a.appendFloat(v));
        nullable(a, t.label, (v) => a.appendTinyInt(v));
        a.endRow();
      }
    });
  }

  /** Replaces the embeddings of `slide` from `encoder` with `rows`. */
  async replaceEmbeddings(
    slide: string,
    encoder: string,
    rows: readonly EmbeddingRecord[],
  ): Promise<void> {
    await this.#connection.run(
      "DELETE FROM embeddings WHERE slide = ? AND encoder = ?",
      [slide, encoder],
    );
    await this.#appendColumns(
      "embeddings",
      [VARCHAR, INTEGER, VARCHAR, FLOAT_LIST],
      rows,
      (row) => [slide, row.tile, encoder, floats(row.features)],
    );
  }

  /** Records that `stage` failed on `slide`. */
  async recordFailure(
    stage: string,
    slide: string,
    error: string,
  ): Promise<void> {
    await this.#connection.run(
      "INSERT INTO failures (stage, slide, error) VALUES (?, ?, ?)",
      [stage, slide, error],
    );
  }

  /** Inserts a run (or replaces one with the same id). */
  async upsertRun(run: RunRecord): Promise<void> {
    await this.#connection.run(
      `INSERT OR REPLACE INTO runs (id, model, config, seed, fold, status)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [
        run.id,
        run.model,
        JSON.stringify(run.config),
        run.seed ?? null,
        run.fold ?? null,
        run.status ?? "running",
      ],
    );
  }

  /** Sets a run's status (and `finished` when it is no longer running). */
  async setRunStatus(
    run: string,
    status: string,
    error?: string,
  ): Promise<void> {
    await this.#connection.run(
      `UPDATE runs SET status = ?, error = ?,
         finished = CASE WHEN ? = 'running' THEN NULL ELSE current_timestamp END
       WHERE id = ?`,
      [status, error ?? null, status, run],
    );
  }

  /**
   * Deletes what run `run` recorded for epochs after `afterEpoch` (all of
   * it with the default -1): epoch rows, attention and predictions. When
   * that removes anything, every `metrics` row of the run goes too: an
   * evaluation summarises the whole history (best epoch, stability over
   * the last half), which has changed.
   */
  async deleteRunHistory(run: string, afterEpoch = -1): Promise<void> {
    let removed = 0;
    for (const table of ["epochs", "attention_history", "predictions"]) {
      const result = await this.#connection.run(
        `DELETE FROM ${table} WHERE run = ? AND epoch > ?`,
        [run, afterEpoch],
      );
      removed += result.rowsChanged;
    }
    if (removed > 0) {
      await this.#connection.run("DELETE FROM metrics WHERE run = ?", [run]);
    }
  }

  /** Inserts or replaces an epoch row. */
  async upsertEpoch(e: EpochRecord): Promise<void> {
    await this.#connection.run(
      `INSERT OR REPLACE INTO epochs
         (run, epoch, losses, lr, seconds, metrics, timing)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        e.run,
        e.epoch,
        JSON.stringify(e.losses),
        e.lr,
        e.seconds,
        JSON.stringify(e.metrics),
        e.timing ? JSON.stringify(e.timing) : null,
      ],
    );
  }

  /**
   * Appends attention rows (one per slide and epoch), quantised to 16 bits
   * per value with a per-row scale (see data/schema.ts, version 3).
   */
  async appendAttention(rows: readonly AttentionRecord[]): Promise<void> {
    await this.#appendColumns(
      "attention_history",
      [
        VARCHAR,
        INTEGER,
        VARCHAR,
        VARCHAR,
        FLOAT,
        USMALLINT_LIST,
        FLOAT,
        LIST(USMALLINT_LIST),
      ],
      rows,
      (r) => {
        const mean = quantiseAttention([r.scores]);
        const heads = r.heads ? quantiseAttention(r.heads) : null;
        return [
          r.run,
          r.epoch,
          r.slide,
          r.split ?? null,
          mean.scale,
          listValue(mean.rows[0] as unknown as DuckDBValue[]),
          heads?.scale ?? null,
          heads
            ? listValue(
              heads.rows.map((q) => listValue(q as unknown as DuckDBValue[])),
            )
            : null,
        ];
      },
    );
  }

  /** Appends prediction rows. */
  async appendPredictions(rows: readonly PredictionRecord[]): Promise<void> {
    await this.#appendColumns(
      "predictions",
      [VARCHAR, INTEGER, VARCHAR, VARCHAR, FLOAT_LIST, INTEGER],
      rows,
      (r) => [
        r.run,
        r.epoch,
        r.slide,
        r.split ?? null,
        floats(r.probabilities),
        r.label ?? null,
      ],
    );
  }

  /**
   * Deletes the `metrics` rows of `run` named in `names` (only those at
   * `at.epoch` and `at.split` when given), before their new values are
   * appended.
   */
  async deleteMetricNames(
    run: string,
    names: readonly string[],
    at: { epoch?: number; split?: string } = {},
  ): Promise<void> {
    await this.#connection.run(
      `DELETE FROM metrics WHERE run = $run AND list_contains($names, name)
         AND ($epoch IS NULL OR epoch = $epoch::INTEGER)
         AND ($split IS NULL OR split = $split)`,
      {
        run,
        names: listValue([...names]),
        epoch: at.epoch ?? null,
        split: at.split ?? null,
      },
    );
  }

  /** Appends metric rows. */
  async appendMetrics(rows: readonly MetricRecord[]): Promise<void> {
    await this.#append("metrics", (a) => {
      for (const r of rows) {
        a.appendVarchar(r.run);
        nullable(a, r.epoch, (v) => a.appendInteger(v));
        a.appendVarchar(r.split);
        a.appendVarchar(r.name);
        nullable(a, r.value, (v) => a.appendDouble(v));
        nullable(a, r.lo, (v) => a.appendDouble(v));
        nullable(a, r.hi, (v) => a.appendDouble(v));
        a.endRow();
      }
    });
  }

  /**
   * Appends rows column-wise through DuckDB data chunks: list columns are
   * copied into their vectors in one go, where the appender's per-value
   * path converts every list element through N-API (~20× slower).
   */
  async #appendColumns<T>(
    table: string,
    types: readonly DuckDBType[],
    rows: readonly T[],
    toRow: (row: T) => DuckDBValue[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const appender = await this.#connection.createAppender(table);
    try {
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const part = rows.slice(start, start + CHUNK_ROWS).map(toRow);
        const chunk = DuckDBDataChunk.create(types, part.length);
        types.forEach((type, c) => {
          const values = part.map((r) => r[c] as DuckDBValue);
          const element = type === FLOAT_LIST
            ? "float"
            : type === USMALLINT_LIST
            ? "usmallint"
            : undefined;
          const lists = element ? listItems(values) : undefined;
          if (element && lists) setListColumn(chunk, c, lists, element);
          else chunk.setColumnValues(c, values);
        });
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async #append(
    table: string,
    fill: (a: DuckDBAppender) => void,
  ): Promise<void> {
    const appender = await this.#connection.createAppender(table);
    try {
      fill(appender);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}

/** Rows per data chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048;
const FLOAT_LIST = LIST(FLOAT);
const USMALLINT_LIST = LIST(USMALLINT);

/**
 * The items of non-null list values (as {@link floats} makes them), for
 * the bulk column write; undefined when one is null.
 */
function listItems(
  values: readonly DuckDBValue[],
): ArrayLike<number>[] | undefined {
  const lists: ArrayLike<number>[] = [];
  for (const v of values) {
    const items = (v as { items?: ArrayLike<number> } | null)?.items;
    if (items === undefined) return undefined;
    lists.push(items);
  }
  return lists;
}

/**
 * A float list value over `values` without copying them element by element
 * into JS values: the chunk writer only indexes `items`.
 */
function floats(values: Float32Array | readonly number[]): DuckDBValue {
  return listValue(values as unknown as DuckDBValue[]);
}

function nullable<T>(
  a: DuckDBAppender,
  value: T | null | undefined,
  append: (v: T) => void,
): void {
  if (value === null || value === undefined) a.appendNull();
  else append(value);
}
