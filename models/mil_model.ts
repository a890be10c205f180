/**
 * The contract every attention-MIL model fulfils, so trainers, the anchor
 * wrapper, evaluation and heatmaps work with any of them. The registered
 * models build on `MilBase` (mil_base.ts), which holds what they share.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/random.ts";

/** Options every model takes; each model adds its own. */
export interface ModelOptions {
  /** Instance feature dimension D. */
  inputDim: number;
  /** Number of slide classes C (≥ 2). */
  numClasses: number;
  /** Seed for weight initialisation. */
  seed?: number;
  [key: string]: unknown;
}

/** How a forward pass runs. */
export interface ForwardOptions {
  /** Training mode enables dropout, token dropping, masking etc. */
  training: boolean;
  /** Source of randomness for training-mode sampling; required when training. */
  rng?: Rng;
}

/** Result of a forward pass over one bag. */
export interface ForwardOutput {
  /** Slide logits `[C]`. */
  logits: tf.Tensor1D;
  /**
   * Attention scores the model pools with, before normalisation over the
   * instances: `[heads, N]` (heads = heads × tokens or branches).
   */
  attention: tf.Tensor2D;
}

/** A loss with its named parts (`parts.ce`, `parts.instance`, …). */
export interface LossOutput extends ForwardOutput {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
}

/** Variables optimised together on one loss part. */
export interface OptimisationGroup {
  name: string;
  variables: tf.Variable[];
  /**
   * Loss part (in `LossOutput.parts`) to differentiate, or several parts
   * whose sum is; `total` or absent: the whole loss.
   */
  loss?: string | readonly string[];
}

/** An attention-based MIL model over one bag `[N, D]`. */
export interface MilModel {
  /** Registered name, e.g. `"abmil"`. */
  readonly name: string;
  /** Resolved options (defaults filled in), JSON-serialisable. */
  readonly options: Readonly<ModelOptions>;
  /**
   * How attention scores are normalised over instances for pooling; the
   * anchor uses it to read the online model's distribution.
   */
  readonly attentionNormalisation: "softmax" | "sigmoid";
  /** Forward pass; validates the bag (shape, finiteness). */
  forward(features: tf.Tensor2D, options: ForwardOptions): ForwardOutput;
  /**
   * The attention `forward` returns in evaluation mode, computed without
   * what it does not depend on (for the anchor's target); optional, the
   * anchor runs `forward` when absent.
   */
  attentionScores?(features: tf.Tensor2D): tf.Tensor2D;
  /** Forward pass plus the model's own loss for a slide label. */
  loss(
    features: tf.Tensor2D,
    label: number,
    options: ForwardOptions,
  ): LossOutput;
  /** Trainable variables with stable, unique names. */
  trainableVariables(): tf.Variable[];
  /**
   * Every variable that makes up the model's state, for checkpoints: the
   * trainable ones plus any others (e.g. an anchor's EMA copy). Defaults to
   * `trainableVariables()` when absent.
   */
  stateVariables?(): tf.Variable[];
  /**
   * Called by the trainer after each optimiser step (e.g. the anchor's EMA
   * update).
   */
  afterStep?(): void;
  /**
   * Called by the trainer before each epoch's first step with the 0-based
   * epoch and the run's epochs, also when a run resumes (e.g. the anchor's
   * warm-up and momentum ramp); its effect must depend only on the epoch
   * and the restored state, so a resumed run matches an uninterrupted one.
   */
  startEpoch?(epoch: number, epochs: number): void;
  /**
   * For models trained with several optimisers (DTFD-MIL's two tiers): each
   * group gets its own AdamW and its own gradient clipping, with gradients
   * of the loss part it names (`total` when absent). Absent: one group of
   * all trainable variables on the total loss.
   */
  optimisationGroups?(): OptimisationGroup[];
  /** Releases the model's tensors. */
  dispose(): void;
}
