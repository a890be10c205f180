/**
 * Classification metrics of a run from its `predictions` rows: per epoch and
 * split (for learning curves and choosing an epoch), and for the chosen
 * epoch with bootstrap intervals, written to `metrics` as (value, lo, hi).
 *
 * @module
 */

import type { MetricRecord, Store } from "../../data/store.ts";
import type { LabelledPrediction } from "../../data/evaluation_queries.ts";
import {
  bootstrapMetrics,
  type BootstrapOptions,
  type ClassificationMetrics,
  classificationMetrics,
  type MetricsWithCi,
} from "./metrics.ts";
import {
  bestEpochAfter,
  NO_BEST_EPOCH,
  selectionScore,
} from "./model_selection.ts";
import { shownEpoch } from "./_format.ts";

/** Which epoch to report: a number, the last one, or the best by AUC on a split. */
export type EpochChoice = number | "last" | "best";

/** Metrics of one split at one epoch. */
export interface EpochSplitMetrics {
  epoch: number;
  split: string;
  metrics: ClassificationMetrics;
}

function groupBySplit(rows: readonly LabelledPrediction[]) {
  return Map.groupBy(rows, (r) => `${r.epoch}\u0000${r.split ?? "none"}`);
}

function asPredictions(rows: readonly LabelledPrediction[]) {
  return {
    probabilities: rows.map((r) => r.probabilities),
    labels: rows.map((r) => r.label),
  };
}

/**
 * Metrics (no intervals) of every epoch and split of `run`, ordered by epoch
 * then split.
 *
 * @example
 * ```ts ignore
 * const curve = await epochMetrics(store, "run-1");
 * const valAuc = curve.filter((m) => m.split === "val").map((m) => m.metrics.auc);
 * ```
 */
export async function epochMetrics(
  store: Store,
  run: string,
): Promise<EpochSplitMetrics[]> {
  const rows = await store.labelledPredictions(run);
  return [...groupBySplit(rows).values()].map((group) => ({
    epoch: group[0]!.epoch,
    split: group[0]!.split ?? "none",
    metrics: classificationMetrics(asPredictions(group)),
  }));
}

/** The F1 the trainer selected `run` by: its recorded `selection`, else macro-F1. */
async function recordedSelection(
  store: Store,
  run: string,
): Promise<"macro-f1" | "micro-f1"> {
  const config = (await store.storedRun(run))?.config as
    | { selection?: unknown }
    | null
    | undefined;
  return config?.selection === "micro-f1" ? "micro-f1" : "macro-f1";
}

/**
 * Resolves an {@link EpochChoice}: `"last"` is the last epoch with
 * predictions; `"best"` the earliest epoch with the highest
 * {@link selectionScore} (with the rule the trainer recorded in the run's
 * config as `selection`, macro-F1 when absent) on `selectSplit` (default
 * `"val"`), the epoch whose
 * weights the trainer keeps as `best.weights` — or the last epoch when that
 * split has no predictions, as in the trainer.
 */
export async function chooseEpoch(
  store: Store,
  run: string,
  choice: EpochChoice = "last",
  selectSplit = "val",
): Promise<number> {
  const epochs = await store.predictionEpochs(run);
  if (epochs.length === 0) {
    throw new Error(
      `Cannot evaluate run "${run}": expected predictions in the store, found none`,
    );
  }
  if (typeof choice === "number") {
    if (!epochs.includes(choice)) {
      throw new RangeError(
        `Cannot evaluate run "${run}" at epoch ${
          shownEpoch(choice)
        } (stored epoch ${choice}): it has predictions for epochs ${
          shownEpoch(epochs[0]!)
        }…${shownEpoch(epochs.at(-1)!)} (stored ${epochs[0]}…${
          epochs.at(-1)
        }; epochs a person reads count from 1)`,
      );
    }
    return choice;
  }
  if (choice === "last") return epochs.at(-1)!;
  const curve = (await epochMetrics(store, run)).filter((m) =>
    m.split === selectSplit
  );
  if (curve.length === 0) return epochs.at(-1)!;
  const rule = await recordedSelection(store, run);
  return curve.reduce(
    (best, m) => bestEpochAfter(best, m.epoch, selectionScore(m.metrics, rule)),
    NO_BEST_EPOCH,
  ).epoch;
}

/** Metrics with intervals of one split at the chosen epoch. */
export interface SplitResult {
  split: string;
  ci: MetricsWithCi;
}

/** Options of {@link computeRunMetrics}. */
export interface RunMetricsOptions {
  /** Epoch to report (default `"last"`). */
  epoch?: EpochChoice;
  /** Split whose AUC picks the `"best"` epoch (default `"val"`). */
  selectSplit?: string;
  bootstrap?: BootstrapOptions;
  /** Write the rows to `metrics` (default true). */
  write?: boolean;
}

/** The rows {@link computeRunMetrics} writes for one split. */
export function metricRecords(
  run: string,
  epoch: number,
  split: string,
  ci: MetricsWithCi,
): MetricRecord[] {
  const finite = (x: number) => Number.isFinite(x) ? x : null;
  const row = (name: string, value: number, lo?: number, hi?: number) => ({
    run,
    epoch,
    split,
    name,
    value: finite(value),
    lo: lo === undefined ? null : finite(lo),
    hi: hi === undefined ? null : finite(hi),
  });
  const m = ci.metrics;
  return [
    row("n", m.n),
    row("accuracy", ci.accuracy.value, ci.accuracy.lo, ci.accuracy.hi),
    row(
      "balanced_accuracy",
      ci.balancedAccuracy.value,
      ci.balancedAccuracy.lo,
      ci.balancedAccuracy.hi,
    ),
    row("auc", ci.auc.value, ci.auc.lo, ci.auc.hi),
    row("macro_f1", ci.macroF1.value, ci.macroF1.lo, ci.macroF1.hi),
    row("micro_f1", m.microF1),
    ...m.precision.flatMap((_, c) => [
      row(`precision_${c}`, m.precision[c]!),
      row(`recall_${c}`, m.recall[c]!),
      row(`f1_${c}`, m.f1[c]!),
    ]),
  ];
}

/**
 * Computes metrics with bootstrap intervals for each split of `run` at the
 * chosen epoch and (by default) replaces that epoch's rows of the same names
 * in `metrics`.
 *
 * @example
 * ```ts ignore
 * const { epoch, splits } = await computeRunMetrics(store, "run-1", { epoch: "best" });
 * console.log(epoch, splits.map((s) => [s.split, s.ci.auc]));
 * ```
 */
export async function computeRunMetrics(
  store: Store,
  run: string,
  options: RunMetricsOptions = {},
): Promise<{ epoch: number; splits: SplitResult[] }> {
  const epoch = await chooseEpoch(
    store,
    run,
    options.epoch,
    options.selectSplit,
  );
  const rows = await store.labelledPredictions(run, epoch);
  const splits = [...groupBySplit(rows).values()].map((group) => ({
    split: group[0]!.split ?? "none",
    ci: bootstrapMetrics(asPredictions(group), options.bootstrap),
  }));
  if (options.write ?? true) {
    const records = splits.flatMap((s) =>
      metricRecords(run, epoch, s.split, s.ci)
    );
    await store.transaction(async (tx) => {
      for (const s of splits) {
        await tx.deleteMetricNames(
          run,
          records.filter((r) => r.split === s.split).map((r) => r.name),
          { epoch, split: s.split },
        );
      }
      await tx.appendMetrics(records);
    });
  }
  return { epoch, splits };
}
