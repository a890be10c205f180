/**
 * The results table of an experiment, rebuilt from the store by SQL: one
 * row per model × anchor variant, mean and sample standard deviation over
 * its finished runs (seeds × folds) of test accuracy, macro-F1 and AUC at
 * the best-validation epoch, the mean JS divergence over the last half of
 * training, the mean top-k overlap with the previous epoch over the last
 * half, the settling epoch, the effective number of attended patches
 * exp(entropy) at the last epoch (near-uniform attention is trivially
 * stable, so stability needs this beside it) and the attention localisation
 * AUC (at the best epoch, where tiles carry ground truth). Written as
 * Markdown and CSV.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type { ExperimentConfiguration } from "./experiment_plan.ts";

/** Measures of the table, in column order. */
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

/** One row of the results table. */
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
 * Reads the table of experiment `name`, rows in the order of `order` (rows
 * of other configurations follow).
 *
 * @example
 * ```ts ignore
 * const rows = await experimentTable(store, "mnist-bags-1a2b3c");
 * ```
 */
export async function experimentTable(
  store: Store,
  name: string,
  order: readonly ExperimentConfiguration[] = [],
): Promise<ExperimentRow[]> {
  const raw = await store.query(EXPERIMENT_TABLE_SQL, { name });
  const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
  const rows = raw.map((r) => ({
    model: String(r.model),
    anchor: String(r.anchor),
    runs: Number(r.runs),
    settled: Number(r.settled),
    mean: Object.fromEntries(
      TABLE_MEASURES.map((m) => [m, num(r[`${m}_mean`])]),
    ) as Record<TableMeasure, number>,
    std: Object.fromEntries(
      TABLE_MEASURES.map((m) => [m, num(r[`${m}_std`])]),
    ) as Record<TableMeasure, number>,
  }));
  const rank = (r: ExperimentRow) => {
    const i = order.findIndex((c) =>
      c.model === r.model && c.anchor === r.anchor
    );
    return i < 0 ? order.length : i;
  };
  return rows.sort((a, b) => rank(a) - rank(b));
}

const HEADERS: Record<TableMeasure, string> = {
  accuracy: "accuracy",
  macro_f1: "macro-F1",
  auc: "AUC",
  js_last_half: "JS last half",
  topk_last_half: "top-k overlap last half",
  settling_epoch: "settling epoch",
  effective_patches: "effective patches",
  localisation_auc: "localisation AUC",
};

/** A value of `measure` as the experiment's tables print it. */
export function formatMeasure(measure: string, x: number): string {
  return measure === "js_last_half"
    ? x.toExponential(1)
    : measure === "settling_epoch" || measure === "effective_patches"
    ? x.toFixed(1)
    : x.toFixed(3);
}

function meanStd(mean: number, std: number, measure: TableMeasure): string {
  if (Number.isNaN(mean)) return "–";
  const f = (x: number) => formatMeasure(measure, x);
  return Number.isNaN(std) ? f(mean) : `${f(mean)} ± ${f(std)}`;
}

/**
 * The table as Markdown (mean ± sample std over runs).
 *
 * @example
 * ```ts
 * import { tableMarkdown } from "./experiment_table.ts";
 * const md = tableMarkdown([]);
 * if (!md.startsWith("| model | anchor | runs |")) throw new Error(md);
 * ```
 */
export function tableMarkdown(rows: readonly ExperimentRow[]): string {
  const head = [
    "model",
    "anchor",
    "runs",
    ...TABLE_MEASURES.map((m) => HEADERS[m]),
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const r of rows) {
    const cells = TABLE_MEASURES.map((m) => {
      const cell = meanStd(r.mean[m], r.std[m], m);
      return m === "settling_epoch" && r.settled < r.runs
        ? `${cell} (${r.runs - r.settled} never)`
        : cell;
    });
    lines.push(
      `| ${[r.model, r.anchor, String(r.runs), ...cells].join(" | ")} |`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * The table as CSV: one line per row, `<measure>_mean` and `<measure>_std`
 * columns (empty when undefined).
 *
 * @example
 * ```ts
 * import { tableCsv } from "./experiment_table.ts";
 * if (!tableCsv([]).startsWith("model,anchor,runs,settled,accuracy_mean,")) throw new Error();
 * ```
 */
export function tableCsv(rows: readonly ExperimentRow[]): string {
  const head = [
    "model",
    "anchor",
    "runs",
    "settled",
    ...TABLE_MEASURES.flatMap((m) => [`${m}_mean`, `${m}_std`]),
  ];
  const cell = (x: number) => (Number.isNaN(x) ? "" : String(x));
  return [
    head.join(","),
    ...rows.map((r) =>
      [
        r.model,
        r.anchor,
        r.runs,
        r.settled,
        ...TABLE_MEASURES.flatMap((m) => [cell(r.mean[m]), cell(r.std[m])]),
      ].join(",")
    ),
  ].join("\n") + "\n";
}
