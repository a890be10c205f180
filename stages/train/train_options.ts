/**
 * Options and events of the trainer.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type { SelectionRule } from "../evaluate/model_selection.ts";
import type { ClipScope } from "./reference_clip.ts";

/** How to train. */
export interface TrainOptions {
  /** Run id (primary key in `runs`, folder name under `outDir`). */
  runId: string;
  /** Epochs; default 50. */
  epochs?: number;
  /** Base learning rate; default 1e-4. */
  lr?: number;
  /** AdamW decoupled weight decay; default 1e-5. */
  weightDecay?: number;
  /** Gradient global-norm clip; default 5, `null` for none. */
  clipNorm?: number | null;
  /**
   * Which models `clipNorm` applies to: `"reference"` (default) those whose
   * released script clips (asmil, dtfd_*; not acmil, abmil, clam, transmil,
   * dsmil), `"all"` every model (reference_clip.ts).
   */
  clipScope?: ClipScope;
  /**
   * The best epoch's score on validation: AUC + macro-F1 (`"macro-f1"`,
   * default), AUC + micro-F1 = accuracy (`"micro-f1"`, the released ASMIL
   * script's), or per model as the released scripts (`"reference"`); see
   * model_selection.ts.
   */
  selection?: SelectionRule;
  /**
   * AdamW also decays variables that got no gradient in a step; default
   * false (skipped, as PyTorch).
   */
  decayWithoutGradient?: boolean;
  /** Seed for shuffling and training-mode sampling; default 0. */
  seed?: number;
  /** Cross-validation fold, recorded with the run. */
  fold?: number | null;
  /** Where to record the run, epochs, attention and predictions. */
  store?: Store;
  /** Folder for weights and checkpoints (`<outDir>/<runId>/`). */
  outDir?: string;
  /** Also record attention and predictions of training slides. */
  recordTrainAttention?: boolean;
  /**
   * Also record per-head attention distributions (ASMIL: heads × tokens per
   * slide and epoch, ~32× the mean's size); default false.
   */
  recordHeads?: boolean;
  /** Bags read ahead of the one being trained or evaluated; default 2. */
  prefetch?: number;
  /**
   * A bag source whose whole cohort fits in this many bytes is kept in
   * memory after its first read; a larger one is read from its source
   * every epoch. Default 512 MiB. Arrays of bags are in memory already.
   */
  cacheBytes?: number;
  /** Resolved configuration stored with the run. */
  config?: unknown;
  /** No progress output. */
  quiet?: boolean;
  /** Receives notes (e.g. resuming). */
  onLog?: (message: string) => void;
  /** Stop after this (0-based) epoch, as if killed; for tests of resume. */
  stopAfterEpoch?: number;
}

/** The trainer's defaults (the reference protocol), in one place. */
export const TRAIN_DEFAULTS = {
  epochs: 50,
  lr: 1e-4,
  weightDecay: 1e-5,
  clipNorm: 5 as number | null,
  clipScope: "reference" as ClipScope,
  selection: "macro-f1" as SelectionRule,
  decayWithoutGradient: false,
  seed: 0,
  fold: null as number | null,
  recordTrainAttention: false,
  recordHeads: false,
  prefetch: 2,
  cacheBytes: 512 * 2 ** 20,
  quiet: false,
} as const;

/** Metrics of one split at one epoch. */
export interface SplitMetrics {
  n: number;
  loss: number;
  accuracy: number;
  auc: number;
  macroF1: number;
}

/** What the trainer emits after each epoch. */
export interface EpochEvent {
  run: string;
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
  /**
   * Wall seconds of the whole epoch: steps, evaluation, checkpoint capture
   * (and waiting for the previous epoch's files), store writes.
   */
  seconds: number;
  /** Seconds spent writing attention, predictions and the epoch row. */
  attentionSeconds: number;
  /** `seconds` by part: train, evaluate, checkpoint, record. */
  timing: Record<string, number>;
  /** Mean over training bags of the loss and each named part. */
  losses: Record<string, number>;
  val?: SplitMetrics;
  test?: SplitMetrics;
  /** Mean JS divergence of validation attention to the previous epoch. */
  jsDivergence: number;
  /** Whether this epoch is the best so far. */
  best: boolean;
  bestEpoch: number;
}
