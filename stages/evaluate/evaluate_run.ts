/**
 * Everything the evaluate stage computes for one finished run: metrics with
 * bootstrap intervals at the chosen epoch (written to `metrics`), per-epoch
 * metrics, losses, attention stability per slide and per split, the settling
 * epoch and, where tiles carry tumour labels, localisation AUC per epoch.
 *
 * @module
 */

import type { MetricRecord, Store } from "../../data/store.ts";
import type { StoredRun } from "../../data/evaluation_queries.ts";
import {
  loadLocalisation,
  meanLocalisationByEpoch,
  type SlideLocalisation,
} from "./localisation.ts";
import type { BootstrapOptions } from "./metrics.ts";
import { rocCurves, type RocPoint } from "./roc_curve.ts";
import {
  computeRunMetrics,
  type EpochChoice,
  epochMetrics,
  type EpochSplitMetrics,
  type SplitResult,
} from "./run_metrics.ts";
import {
  DEFAULT_SETTLING_THRESHOLD,
  DEFAULT_TOPK,
  loadSlideStability,
  type RunStability,
  runStability,
  type SlideEpochStability,
  slideSummaries,
  type SlideSummary,
} from "./stability.ts";
import { installStabilitySql } from "../../data/stability_sql.ts";

/** A `runs` row. */
export type RunInfo = StoredRun;

/** Options of {@link evaluateRun}. */
export interface EvaluateRunOptions {
  store: Store;
  run: string;
  /** Epoch to report (default `"last"`; `"best"`: best AUC on `selectSplit`). */
  epoch?: EpochChoice;
  /** Split that picks the best epoch (default `"val"`). */
  selectSplit?: string;
  /** Bootstrap settings; the seed defaults to the run's seed. */
  bootstrap?: BootstrapOptions;
  /** k of the top-k overlap (default 10). */
  k?: number;
  /** JS-divergence threshold of the settling epoch (default 0.01). */
  threshold?: number;
  /**
   * Write metric rows and install the stability SQL into the store
   * (default true); false for a read-only store.
   */
  write?: boolean;
}

/** The evaluation of one run. */
export interface RunEvaluation {
  run: RunInfo;
  /** The epoch the metrics are reported at. */
  epoch: number;
  /** Metrics with intervals per split at `epoch`. */
  splits: SplitResult[];
  /** ROC curves per split at `epoch` (class 1, or one per class). */
  roc: { split: string; positive: number; points: RocPoint[] }[];
  /** Metrics per epoch and split. */
  curve: EpochSplitMetrics[];
  /** Loss parts per epoch, from `epochs.losses`. */
  losses: { epoch: number; losses: Record<string, number> }[];
  stability: RunStability[];
  /** Per slide and epoch. */
  slideStability: SlideEpochStability[];
  /** Per slide, most stable first. */
  slides: SlideSummary[];
  /** Mean localisation AUC per epoch (empty without tile labels). */
  localisation: { epoch: number; auc: number; slides: number }[];
  /** Localisation AUC per slide at the reported epoch. */
  slideLocalisation: SlideLocalisation[];
  k: number;
  threshold: number;
}

/** Reads a run's row; throws naming the run when it is missing. */
export async function runInfo(store: Store, run: string): Promise<RunInfo> {
  const row = await store.storedRun(run);
  if (!row) {
    const known = await store.runIds();
    throw new Error(
      `Cannot evaluate run "${run}": it is not in the store (runs: ${
        known.length ? known.join(", ") : "none"
      })`,
    );
  }
  return row;
}

/**
 * Evaluates a finished run (see the module doc) and returns the figures;
 * with `write` (default) the metrics and stability summaries are stored in
 * `metrics` and the stability SQL is installed for ad hoc queries.
 *
 * @example
 * ```ts ignore
 * const evaluation = await evaluateRun({ store, run: "run-1", epoch: "best" });
 * console.log(evaluation.splits.find((s) => s.split === "test")?.ci.auc);
 * ```
 */
export async function evaluateRun(
  options: EvaluateRunOptions,
): Promise<RunEvaluation> {
  const { store } = options;
  const write = options.write ?? true;
  const k = options.k ?? DEFAULT_TOPK;
  const threshold = options.threshold ?? DEFAULT_SETTLING_THRESHOLD;
  const run = await runInfo(store, options.run);
  const { epoch, splits } = await computeRunMetrics(store, run.id, {
    ...(options.epoch === undefined ? {} : { epoch: options.epoch }),
    ...(options.selectSplit === undefined
      ? {}
      : { selectSplit: options.selectSplit }),
    bootstrap: { seed: run.seed ?? 0, ...options.bootstrap },
    write,
  });
  const slideRows = await loadSlideStability(store, run.id, { k });
  const stability = runStability(slideRows, threshold);
  const slideLocalisation = await loadLocalisation(store, run.id);
  const localisation = meanLocalisationByEpoch(slideLocalisation);
  const evaluation: RunEvaluation = {
    run,
    epoch,
    splits,
    roc: await rocAtEpoch(store, run.id, epoch),
    curve: await epochMetrics(store, run.id),
    losses: await store.epochLosses(run.id),
    stability,
    slideStability: slideRows,
    slides: slideSummaries(slideRows),
    localisation,
    slideLocalisation: slideLocalisation.filter((l) => l.epoch === epoch),
    k,
    threshold,
  };
  if (write) {
    await installStabilitySql(store);
    await storeStability(store, evaluation);
  }
  return evaluation;
}

async function rocAtEpoch(store: Store, run: string, epoch: number) {
  const rows = await store.labelledPredictions(run, epoch);
  const bySplit = Map.groupBy(rows, (r) => r.split ?? "none");
  return [...bySplit].flatMap(([split, group]) =>
    rocCurves({
      probabilities: group.map((r) => r.probabilities),
      labels: group.map((r) => r.label),
    }).map((c) => ({ split, ...c }))
  );
}

/** The names of the `metrics` rows {@link stabilityRecords} makes. */
const STABILITY_METRICS = [
  "js_last_half",
  "topk_last_half",
  "settling_epoch",
  "final_entropy",
  "final_effective_patches",
  "localisation_auc",
];

/** Stability summaries as `metrics` rows (epoch NULL: they describe the whole run). */
export function stabilityRecords(evaluation: RunEvaluation): MetricRecord[] {
  const rows: MetricRecord[] = [];
  const finite = (
    x: number | null,
  ) => (x !== null && Number.isFinite(x) ? x : null);
  for (const s of evaluation.stability) {
    const add = (name: string, value: number | null) =>
      rows.push({
        run: evaluation.run.id,
        epoch: null,
        split: s.split,
        name,
        value: finite(value),
      });
    add("js_last_half", s.meanJsLastHalf);
    add("topk_last_half", s.meanTopkLastHalf);
    add("settling_epoch", s.settlingEpoch);
    add("final_entropy", s.finalEntropy);
    add("final_effective_patches", s.finalEffectivePatches);
  }
  const at = evaluation.localisation.find((l) => l.epoch === evaluation.epoch);
  if (at) {
    rows.push({
      run: evaluation.run.id,
      epoch: evaluation.epoch,
      split: "all",
      name: "localisation_auc",
      value: finite(at.auc),
    });
  }
  return rows;
}

async function storeStability(
  store: Store,
  evaluation: RunEvaluation,
): Promise<void> {
  const rows = stabilityRecords(evaluation);
  await store.transaction(async (tx) => {
    await tx.deleteMetricNames(evaluation.run.id, STABILITY_METRICS);
    await tx.appendMetrics(rows);
  });
}
