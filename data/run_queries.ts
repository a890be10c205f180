/**
 * The store's reads and small writes of the training path: the slides a
 * bag source serves, a run's state (status, evaluated or not), the stored
 * attention a resumed run continues from, an epoch's final timing, and
 * dropping a run's metrics before it is evaluated again. Mixed into
 * `Store` (data/store_access.ts).
 *
 * @module
 */
import { listValue } from "@duckdb/node-api";
import { type StoreAccessClass, stringOrNull } from "./store_access.ts";

/** Slides with embeddings from one encoder. */
export interface EmbeddedSlide {
  slide: string;
  /** Embedded tiles. */
  n: number;
  /** `slides.label` as stored (class index or name), null when absent. */
  label: string | null;
  /** `slides.split`, null when absent. */
  split: string | null;
}

/** A training run's status and whether it was evaluated. */
export interface RunState {
  /** `running`, `finished` or `failed`. */
  status: string;
  /** Whether its stability metrics are written (the evaluation's last rows). */
  evaluated: boolean;
}

/** The attention of one slide as stored: 16-bit levels and their scale. */
export interface StoredAttentionRow {
  slide: string;
  scale: number;
  q: number[];
}

/**
 * Whether the `runs` row's stability metrics are written (the evaluation's
 * last rows), as a SQL predicate.
 */
const EVALUATED = `EXISTS (SELECT 1 FROM metrics m WHERE m.run = runs.id
  AND m.name = 'topk_last_half')`;

/**
 * Adds the training path's queries to a store class.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * await store.transaction((tx) =>
 *   tx.upsertRun({ id: "r", model: "abmil", config: {}, seed: 0, fold: null })
 * );
 * const state = await store.runState("r");
 * if (state?.status !== "running" || state.evaluated) throw new Error();
 * if (!(await store.hasRun("r")) || (await store.hasRun("other"))) throw new Error();
 * store.close();
 * ```
 */
export function withRunQueries<B extends StoreAccessClass>(Base: B) {
  abstract class RunQueries extends Base {
    /** Slides with embeddings from `encoder` (tiles, stored label and split), by slide id. */
    async embeddedSlides(encoder: string): Promise<EmbeddedSlide[]> {
      const rows = await this.query(
        `SELECT e.slide, e.n, s.label, s.split
         FROM (SELECT slide, count(*) AS n FROM embeddings WHERE encoder = ?
               GROUP BY slide) e
         LEFT JOIN slides s ON s.id = e.slide
         ORDER BY e.slide`,
        [encoder],
      );
      return rows.map((r) => ({
        slide: String(r.slide),
        n: Number(r.n),
        label: stringOrNull(r.label),
        split: stringOrNull(r.split),
      }));
    }

    /** `run`'s status and whether it was evaluated; undefined for a run the store lacks. */
    async runState(run: string): Promise<RunState | undefined> {
      const [row] = await this.query(
        `SELECT status, ${EVALUATED} AS evaluated FROM runs WHERE id = ?`,
        [run],
      );
      return row
        ? { status: String(row.status), evaluated: Boolean(row.evaluated) }
        : undefined;
    }

    /** The runs among `ids` that finished and were evaluated (see {@link runState}). */
    async evaluatedRuns(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await this.query(
        `SELECT id FROM runs WHERE status = 'finished'
           AND list_contains($ids, id) AND ${EVALUATED}`,
        { ids: listValue([...ids]) },
      );
      return new Set(rows.map((r) => String(r.id)));
    }

    /** Drops the metric rows of `run` (an evaluation about to be redone). */
    async deleteMetrics(run: string): Promise<void> {
      await this.exec("DELETE FROM metrics WHERE run = ?", [run]);
    }

    /** Whether the store has a row for training run `run`. */
    async hasRun(run: string): Promise<boolean> {
      return (await this.query("SELECT 1 FROM runs WHERE id = ?", [run]))
        .length > 0;
    }

    /** The attention of `run` at `epoch` on `split` as stored, per slide. */
    async storedAttention(
      run: string,
      epoch: number,
      split: string,
    ): Promise<StoredAttentionRow[]> {
      return (await this.query(
        `SELECT slide, scale, q FROM attention_history
         WHERE run = ? AND epoch = ? AND split = ?`,
        [run, epoch, split],
      )).map((r) => ({
        slide: String(r.slide),
        scale: Number(r.scale),
        q: r.q as number[],
      }));
    }

    /** Sets the wall seconds and their parts of an epoch already recorded. */
    async setEpochTiming(
      run: string,
      epoch: number,
      seconds: number,
      timing: Record<string, number>,
    ): Promise<void> {
      await this.exec(
        "UPDATE epochs SET seconds = ?, timing = ? WHERE run = ? AND epoch = ?",
        [seconds, JSON.stringify(timing), run, epoch],
      );
    }
  }
  return RunQueries;
}
