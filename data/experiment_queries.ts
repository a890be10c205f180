/**
 * The store's reads of an experiment's runs (ids `exp.<name>.<model>.
 * <anchor>.s<seed>.f<fold>`): its results table, its test predictions at
 * each run's reported epoch, its per-run figures and its stability curves.
 * The table's SQL is shown to a person to rebuild the table
 * ({@link EXPERIMENT_TABLE_SQL}). Mixed into `Store`
 * (data/store_access.ts).
 *
 * @module
 */
import type { StoreAccessClass } from "./store_access.ts";

/** Measures of the results table, in column order. */
export const TABLE_MEASURES = [
  "accuracy",
  "macro_f1",
  "auc",
  "js_last_half",
  "topk_last_half",
  "settling_epoch",
  "effective_patches",
  "localisation_auc",
] as const;

/** One measure of a table row. */
export type TableMeasure = typeof TABLE_MEASURES[number];

/** One row of the results table: a model × anchor variant. */
export interface ExperimentRow {
  model: string;
  anchor: string;
  /** Finished runs averaged. */
  runs: number;
  /** Runs whose attention settled (mean JS below the threshold to the end). */
  settled: number;
  /** Mean and sample standard deviation (NaN when undefined) per measure. */
  mean: Record<TableMeasure, number>;
  std: Record<TableMeasure, number>;
}

/**
 * The SQL that rebuilds the table of experiment `name` from `runs` and
 * `metrics` (parameter `$name`). The settling epoch is 1-based; a run that
 * never settles counts as epochs + 1. Aggregates read runs in id order, so
 * the last digits do not depend on the order rows were stored in (one
 * process, or task stores merged).
 */
export const EXPERIMENT_TABLE_SQL = `
WITH r AS (
  SELECT id AS run, split_part(id, '.', 3) AS model,
         split_part(id, '.', 4) AS anchor,
         (SELECT count(*) FROM epochs e WHERE e.run = runs.id) AS epochs
  FROM runs
  WHERE starts_with(id, 'exp.' || $name || '.') AND status = 'finished'
), m AS (
  SELECT r.run, r.model, r.anchor, r.epochs,
    max(value) FILTER (WHERE name = 'accuracy' AND split = 'test') AS accuracy,
    max(value) FILTER (WHERE name = 'macro_f1' AND split = 'test') AS macro_f1,
    max(value) FILTER (WHERE name = 'auc' AND split = 'test') AS auc,
    max(value) FILTER (WHERE name = 'js_last_half' AND split = 'all') AS js_last_half,
    max(value) FILTER (WHERE name = 'topk_last_half' AND split = 'all') AS topk_last_half,
    max(value) FILTER (WHERE name = 'settling_epoch' AND split = 'all') AS settling,
    max(value) FILTER (WHERE name = 'final_effective_patches' AND split = 'all') AS effective_patches,
    max(value) FILTER (WHERE name = 'localisation_auc' AND split = 'all') AS localisation_auc
  FROM r LEFT JOIN metrics USING (run)
  GROUP BY ALL
)
SELECT model, anchor, count(*)::INTEGER AS runs,
  count(settling)::INTEGER AS settled,
  avg(accuracy ORDER BY run) AS accuracy_mean, stddev_samp(accuracy ORDER BY run) AS accuracy_std,
  avg(macro_f1 ORDER BY run) AS macro_f1_mean, stddev_samp(macro_f1 ORDER BY run) AS macro_f1_std,
  avg(auc ORDER BY run) AS auc_mean, stddev_samp(auc ORDER BY run) AS auc_std,
  avg(js_last_half ORDER BY run) AS js_last_half_mean, stddev_samp(js_last_half ORDER BY run) AS js_last_half_std,
  avg(topk_last_half ORDER BY run) AS topk_last_half_mean,
  stddev_samp(topk_last_half ORDER BY run) AS topk_last_half_std,
  avg(coalesce(settling, epochs) + 1 ORDER BY run) AS settling_epoch_mean,
  stddev_samp(coalesce(settling, epochs) + 1 ORDER BY run) AS settling_epoch_std,
  avg(effective_patches ORDER BY run) AS effective_patches_mean,
  stddev_samp(effective_patches ORDER BY run) AS effective_patches_std,
  avg(localisation_auc ORDER BY run) AS localisation_auc_mean,
  stddev_samp(localisation_auc ORDER BY run) AS localisation_auc_std
FROM m GROUP BY model, anchor ORDER BY model, anchor`;

/**
 * Test predictions of the finished runs of experiment `$name` at the epoch
 * each was reported at (the epoch of its test `auc` metric row).
 */
export const EXPERIMENT_PREDICTIONS_SQL = `
WITH chosen AS (
  SELECT m.run, min(m.epoch) AS epoch FROM metrics m JOIN runs r ON r.id = m.run
  WHERE starts_with(m.run, 'exp.' || $name || '.') AND r.status = 'finished'
    AND m.split = 'test' AND m.name = 'auc' AND m.epoch IS NOT NULL
  GROUP BY m.run
)
SELECT p.run, p.slide, p.probabilities, p.label
FROM predictions p JOIN chosen c ON c.run = p.run AND c.epoch = p.epoch
WHERE p.split = 'test' AND p.label IS NOT NULL
ORDER BY p.run, p.slide`;

/** Per-run figures of experiment `$name` (split "all"), one row per run and name. */
export const EXPERIMENT_RUN_FIGURES_SQL = `
SELECT m.run, m.name, max(m.value) AS value
FROM metrics m JOIN runs r ON r.id = m.run
WHERE starts_with(m.run, 'exp.' || $name || '.') AND r.status = 'finished'
  AND m.split = 'all' AND m.name IN
    ('js_last_half', 'topk_last_half', 'final_effective_patches', 'localisation_auc')
GROUP BY ALL`;

/**
 * Per configuration (series `<model> <anchor>`) and epoch of experiment
 * `$name`: the mean over its runs of the runs' mean JS divergence of
 * attention to the previous epoch and mean effective patches
 * exp(entropy), from the `attention_stability` view.
 */
export const EXPERIMENT_STABILITY_SQL = `
SELECT split_part(run, '.', 3) || ' ' || split_part(run, '.', 4) AS series,
  any_value(split_part(run, '.', 3)) AS model,
  any_value(split_part(run, '.', 4)) AS anchor,
  epoch, avg(js) AS js, avg(effective) AS effective
FROM (
  SELECT run, epoch, avg(js_divergence) AS js,
    avg(exp(entropy)) AS effective
  FROM attention_stability
  WHERE starts_with(run, 'exp.' || $name || '.')
  GROUP BY run, epoch)
GROUP BY series, epoch ORDER BY series, epoch`;

/** A test prediction of one run of an experiment. */
export interface ExperimentPrediction {
  run: string;
  slide: string;
  probabilities: number[];
  label: number;
}

/** A per-run figure of an experiment (e.g. `js_last_half`). */
export interface ExperimentRunFigure {
  run: string;
  name: string;
  value: number | null;
}

/** One configuration's stability at one epoch (epochs stored from 0). */
export interface ExperimentStabilityPoint {
  /** `<model> <anchor>`. */
  series: string;
  model: string;
  anchor: string;
  epoch: number;
  /** Mean JS divergence to the previous epoch. */
  js: number;
  /** Mean effective number of attended patches. */
  effective: number;
}

/**
 * Adds the experiment reads to a store class.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * await store.transaction(async (tx) => {
 *   await tx.upsertRun({ id: "exp.e1.abmil.none.s0.f0", model: "abmil", config: {}, status: "finished" });
 *   await tx.appendMetrics([
 *     { run: "exp.e1.abmil.none.s0.f0", epoch: 3, split: "test", name: "auc", value: 0.75 },
 *   ]);
 * });
 * const [row] = await store.experimentTableRows("e1");
 * if (row?.model !== "abmil" || row.mean.auc !== 0.75) throw new Error();
 * store.close();
 * ```
 */
export function withExperimentQueries<B extends StoreAccessClass>(Base: B) {
  abstract class ExperimentQueries extends Base {
    /** The results table of experiment `name` ({@link EXPERIMENT_TABLE_SQL}). */
    async experimentTableRows(name: string): Promise<ExperimentRow[]> {
      const num = (
        v: unknown,
      ) => (v === null || v === undefined ? NaN : Number(v));
      const measures = (r: Record<string, unknown>, suffix: string) =>
        Object.fromEntries(
          TABLE_MEASURES.map((m) => [m, num(r[`${m}_${suffix}`])]),
        ) as Record<TableMeasure, number>;
      return (await this.query(EXPERIMENT_TABLE_SQL, { name })).map((r) => ({
        model: String(r.model),
        anchor: String(r.anchor),
        runs: Number(r.runs),
        settled: Number(r.settled),
        mean: measures(r, "mean"),
        std: measures(r, "std"),
      }));
    }

    /** {@link EXPERIMENT_PREDICTIONS_SQL} of experiment `name`. */
    experimentTestPredictions(name: string): Promise<ExperimentPrediction[]> {
      return this.query<ExperimentPrediction & Record<string, unknown>>(
        EXPERIMENT_PREDICTIONS_SQL,
        { name },
      );
    }

    /** {@link EXPERIMENT_RUN_FIGURES_SQL} of experiment `name`. */
    experimentRunFigures(name: string): Promise<ExperimentRunFigure[]> {
      return this.query<ExperimentRunFigure & Record<string, unknown>>(
        EXPERIMENT_RUN_FIGURES_SQL,
        { name },
      );
    }

    /** {@link EXPERIMENT_STABILITY_SQL} of experiment `name`. */
    async experimentStability(
      name: string,
    ): Promise<ExperimentStabilityPoint[]> {
      return (await this.query(EXPERIMENT_STABILITY_SQL, { name })).map((
        r,
      ) => ({
        series: String(r.series),
        model: String(r.model),
        anchor: String(r.anchor),
        epoch: Number(r.epoch),
        js: Number(r.js),
        effective: Number(r.effective),
      }));
    }
  }
  return ExperimentQueries;
}
