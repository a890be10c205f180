/**
 * What the trainer records in the run store: the run row when it starts,
 * one transaction per epoch (the epoch row with its metrics and timing, the
 * attention and predictions of every evaluated slide), the run's status at
 * the end, and on resume the removal of epochs recorded after the
 * checkpoint (a crash between the store commit and the checkpoint; on a
 * fresh start, of everything the run recorded before).
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type {
  AttentionRecord,
  PredictionRecord,
  RunRecord,
} from "../../data/records.ts";
import type { Split } from "../../core/types.ts";
import type { BagInfo } from "../bag/bag_source.ts";
import { dequantiseRow } from "../../data/attention_quantise.ts";
import type { SplitEvaluation } from "./evaluate_bags.ts";

/**
 * Records the start of a fresh run, dropping whatever an earlier start of
 * the same id recorded: a run killed after its first epoch's record but
 * before that epoch's checkpoint landed starts again from epoch 1, and its
 * attention and predictions must not be there twice.
 */
export async function recordRunStart(
  store: Store,
  run: RunRecord,
): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.deleteRunHistory(run.id);
    await tx.upsertRun(run);
  });
}

/**
 * Prepares resuming `run` after `epoch`: drops what was recorded for later
 * epochs, marks the run running, and returns the validation attention of
 * `epoch` (the reference of the next epoch's JS divergence).
 */
export async function recordResume(
  store: Store,
  run: string,
  epoch: number,
): Promise<Map<string, Float32Array>> {
  await store.transaction(async (tx) => {
    await tx.deleteRunHistory(run, epoch);
    await tx.setRunStatus(run, "running");
  });
  // Decoded here rather than by the attention view, so the values are the
  // ones an uninterrupted run computed (storedAttention) to the last bit.
  const rows = await store.storedAttention(run, epoch, "val");
  return new Map(rows.map((r) => [r.slide, dequantiseRow(r.q, r.scale)]));
}

/** One epoch's record. */
export interface EpochRecordInput {
  run: string;
  epoch: number;
  losses: Record<string, number>;
  lr: number;
  seconds: number;
  timing: Record<string, number>;
  jsDivergence: number;
  /** Evaluations by split, and the bags of each split in recording order. */
  evaluated: Map<Split, SplitEvaluation>;
  infos: (split: Split) => readonly BagInfo[];
}

/** Writes one epoch in one transaction. */
export async function recordEpoch(
  store: Store,
  e: EpochRecordInput,
): Promise<void> {
  const attention: AttentionRecord[] = [];
  const predictions: PredictionRecord[] = [];
  for (const [split, evaluation] of e.evaluated) {
    for (const info of e.infos(split)) {
      const a = evaluation.attention.get(info.slideId)!;
      const row: AttentionRecord = {
        run: e.run,
        epoch: e.epoch,
        slide: info.slideId,
        split,
        scores: a.mean,
      };
      if (a.heads) row.heads = a.heads;
      attention.push(row);
      predictions.push({
        run: e.run,
        epoch: e.epoch,
        slide: info.slideId,
        split,
        probabilities: evaluation.probabilities.get(info.slideId)!,
        label: info.label,
      });
    }
  }
  const metrics: Record<string, unknown> = { jsDivergence: e.jsDivergence };
  for (const [split, evaluation] of e.evaluated) {
    metrics[split] = evaluation.metrics;
  }
  await store.transaction(async (tx) => {
    await tx.upsertEpoch({
      run: e.run,
      epoch: e.epoch,
      losses: e.losses,
      lr: e.lr,
      seconds: e.seconds,
      metrics,
      timing: e.timing,
    });
    await tx.appendAttention(attention);
    await tx.appendPredictions(predictions);
  });
}

/** Marks the run finished, or failed with `error`'s message. */
export async function recordRunEnd(
  store: Store,
  run: string,
  error?: unknown,
): Promise<void> {
  await store.transaction((tx) =>
    error === undefined ? tx.setRunStatus(run, "finished") : tx.setRunStatus(
      run,
      "failed",
      error instanceof Error ? error.message : String(error),
    )
  );
}
