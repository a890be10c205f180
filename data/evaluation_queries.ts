/**
 * The store's reads of a training run for its evaluation: the run's row,
 * its loss parts per epoch and its labelled predictions. Mixed into `Store`
 * (data/store_access.ts).
 *
 * @module
 */
import { sqlString, type StoreAccessClass } from "./store_access.ts";

/** A `runs` row, its config parsed. */
export interface StoredRun {
  id: string;
  model: string;
  config: unknown;
  seed: number | null;
  fold: number | null;
  status: string;
  started: Date | null;
  finished: Date | null;
}

/** A labelled prediction of one slide at one epoch. */
export interface LabelledPrediction {
  epoch: number;
  slide: string;
  split: string | null;
  probabilities: number[];
  label: number;
}

/**
 * The query a person can run (`asmil sql "…"`) to see the stored metrics
 * of `run`.
 *
 * @example
 * ```ts
 * import { runMetricsSql } from "./evaluation_queries.ts";
 * if (runMetricsSql("r1") !== "SELECT * FROM metrics WHERE run = 'r1'") throw new Error();
 * ```
 */
export function runMetricsSql(run: string): string {
  return `SELECT * FROM metrics WHERE run = ${sqlString(run)}`;
}

/**
 * The query a person can run (`asmil sql "…"`) to see the attention
 * stability figures of `runs`.
 *
 * @example
 * ```ts
 * import { runStabilitySql } from "./evaluation_queries.ts";
 * const sql = runStabilitySql(["a", "b"]);
 * if (sql !== "SELECT * FROM run_stability() WHERE run IN ('a', 'b')") throw new Error(sql);
 * ```
 */
export function runStabilitySql(runs: readonly string[]): string {
  return `SELECT * FROM run_stability() WHERE run IN (${
    runs.map(sqlString).join(", ")
  })`;
}

/**
 * Adds the reads of a run's evaluation to a store class.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * await store.transaction(async (tx) => {
 *   await tx.upsertRun({ id: "r1", model: "abmil", config: { lr: 1e-3 }, seed: 0 });
 *   await tx.appendPredictions([
 *     { run: "r1", epoch: 0, slide: "a", split: "val", probabilities: [0.25, 0.75], label: 1 },
 *   ]);
 * });
 * const run = await store.storedRun("r1");
 * const [p] = await store.labelledPredictions("r1");
 * if ((run?.config as { lr: number }).lr !== 1e-3 || p?.label !== 1) throw new Error();
 * store.close();
 * ```
 */
export function withEvaluationQueries<B extends StoreAccessClass>(Base: B) {
  abstract class EvaluationQueries extends Base {
    /** The row of run `id`, or undefined when the store has none. */
    async storedRun(id: string): Promise<StoredRun | undefined> {
      const [row] = await this.query(
        `SELECT id, model, config, seed, fold, status, started, finished
         FROM runs WHERE id = ?`,
        [id],
      );
      if (!row) return undefined;
      const config = typeof row.config === "string"
        ? JSON.parse(row.config)
        : row.config;
      return { ...(row as unknown as StoredRun), config };
    }

    /** The ids of every run in the store, sorted. */
    async runIds(): Promise<string[]> {
      return (await this.query("SELECT id FROM runs ORDER BY id"))
        .map((r) => String(r.id));
    }

    /** The loss parts `run` recorded per epoch, by epoch. */
    async epochLosses(
      run: string,
    ): Promise<{ epoch: number; losses: Record<string, number> }[]> {
      return (await this.query(
        "SELECT epoch, losses FROM epochs WHERE run = ? ORDER BY epoch",
        [run],
      )).map((r) => ({
        epoch: Number(r.epoch),
        losses: typeof r.losses === "string"
          ? JSON.parse(r.losses)
          : (r.losses ?? {}) as Record<string, number>,
      }));
    }

    /** The epochs `run` has predictions for, ascending. */
    async predictionEpochs(run: string): Promise<number[]> {
      return (await this.query(
        "SELECT DISTINCT epoch FROM predictions WHERE run = ? ORDER BY epoch",
        [run],
      )).map((r) => Number(r.epoch));
    }

    /**
     * The predictions of `run` with a label (at `epoch` only, when given),
     * ordered by epoch, split and slide.
     */
    labelledPredictions(
      run: string,
      epoch?: number,
    ): Promise<LabelledPrediction[]> {
      return this.query<LabelledPrediction & Record<string, unknown>>(
        `SELECT epoch, slide, split, probabilities, label FROM predictions
         WHERE run = $run AND label IS NOT NULL
           AND ($epoch IS NULL OR epoch = $epoch::INTEGER)
         ORDER BY epoch, split, slide`,
        { run, epoch: epoch ?? null },
      );
    }
  }
  return EvaluationQueries;
}
