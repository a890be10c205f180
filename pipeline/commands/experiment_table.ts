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
import {
  type ExperimentRow,
  TABLE_MEASURES,
  type TableMeasure,
} from "../../data/experiment_queries.ts";
import type { ExperimentConfiguration } from "./experiment_plan.ts";

export {
  EXPERIMENT_TABLE_SQL,
  type ExperimentRow,
  TABLE_MEASURES,
  type TableMeasure,
} from "../../data/experiment_queries.ts";

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
  const rows = await store.experimentTableRows(name);
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
