/**
 * DSMIL (Li et al. 2021) as in notes/method.md. Two streams over the
 * instances h_i (the input features, as in the reference):
 * - instance stream: Linear(D → C) scores every instance; per class c the
 *   critical instance is the one with the highest score for c;
 * - bag stream: q(h) = tanh(Linear(relu(Linear(D → q)))), attention of
 *   instance i for class c = softmax over i of ⟨q(h_i), q(h_crit_c)⟩/√q;
 *   class c pools B_c = Σ_i a_ci h_i, and a Conv1d with C channels and
 *   kernel D over the `[C, D]` matrix B (= one Linear(C·D → C)) gives the
 *   bag logits.
 *
 * Loss = 0.5·CE(max over instances of the instance scores) + 0.5·CE(bag)
 * (`parts.max` and `parts.ce`, both unweighted). The prediction averages
 * the two streams' class probabilities: `logits` = log(½ softmax(max) +
 * ½ softmax(bag)), whose softmax is exactly that average. `attention` is
 * the `[C, N]` pre-softmax scores, one row per class.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  ForwardOptions,
  ForwardOutput,
  ModelOptions,
} from "./mil_model.ts";
import { type ModelOptionSpec, registerModel } from "./registry.ts";
import { checkModelOptions, type LossParts, MilBase } from "./mil_base.ts";
import { checkBag } from "./bag_check.ts";
import { crossEntropy } from "./abmil_loss.ts";
import { applyLinear, type LinearParams } from "./weights_scope.ts";
import { selectRows } from "./layers/select_rows.ts";

/** Options of `dsmil`. */
export interface DsmilOptions extends ModelOptions {
  /** Width of the query embedding q; default 128. */
  queryDim?: number;
  /** Weight of the max-instance cross-entropy (the bag one gets 1 − it); default 0.5. */
  maxWeight?: number;
}

/** Defaults of `dsmil`. */
export const DSMIL_DEFAULTS = { queryDim: 128, maxWeight: 0.5, seed: 0 };

/** What one DSMIL pass computes. */
export interface DsmilStreams {
  /** Instance scores `[N, C]`. */
  instanceScores: tf.Tensor2D;
  /** Max over instances of the instance scores `[C]`. */
  maxScores: tf.Tensor1D;
  /** Bag logits `[C]`. */
  bagLogits: tf.Tensor1D;
  /** Pre-softmax attention `[C, N]`. */
  attention: tf.Tensor2D;
  /** Index of each class's critical instance. */
  critical: number[];
}

/** DSMIL's pass: the prediction and both streams. */
interface DsmilPass extends ForwardOutput {
  streams: DsmilStreams;
}

/**
 * Dual-stream MIL.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Dsmil } from "./dsmil.ts";
 * const model = new Dsmil({ inputDim: 8, numClasses: 2, seed: 1 });
 * const { attention } = model.forward(tf.randomNormal([6, 8]), { training: false });
 * if (attention.shape.join() !== "2,6") throw new Error("one row per class");
 * model.dispose();
 * ```
 */
export class Dsmil extends MilBase<DsmilOptions, DsmilPass> {
  #instance: LinearParams;
  #q1: LinearParams;
  #q2: LinearParams;
  #bag: LinearParams;

  /** Builds the model from `options` (defaults filled in). */
  constructor(options: DsmilOptions) {
    const resolved = { ...DSMIL_DEFAULTS, ...options } as Required<
      DsmilOptions
    >;
    checkModelOptions("DSMIL", resolved, DSMIL_OPTIONS);
    super("dsmil", resolved);
    const { inputDim, queryDim, numClasses } = resolved;
    const scope = this.scope;
    this.#instance = scope.linear("instance_classifier", inputDim, numClasses);
    this.#q1 = scope.linear("query.0", inputDim, queryDim);
    this.#q2 = scope.linear("query.1", queryDim, queryDim);
    // Conv1d(C → C, kernel D) over B [C, D] is one linear map of B's C·D values.
    this.#bag = scope.linear(
      "bag_classifier",
      numClasses * inputDim,
      numClasses,
    );
  }

  protected override pass(
    features: tf.Tensor2D,
    options: ForwardOptions,
  ): DsmilPass {
    const s = this.streams(features, options);
    return { logits: averagedLogits(s), attention: s.attention, streams: s };
  }

  protected override lossOf(pass: DsmilPass, label: number): LossParts {
    const ce = crossEntropy(pass.streams.bagLogits, label);
    const max = crossEntropy(pass.streams.maxScores, label);
    const w = this.options.maxWeight;
    const total = tf.add(tf.mul(max, w), tf.mul(ce, 1 - w)) as tf.Scalar;
    return { total, parts: { ce, max } };
  }

  /**
   * Both streams over one bag (call inside `tf.tidy`); exposed so the
   * critical-instance choice can be inspected.
   */
  streams(features: tf.Tensor2D, _options: ForwardOptions): DsmilStreams {
    checkBag(features, this.options.inputDim);
    const c = this.options.numClasses;
    const instanceScores = applyLinear(features, this.#instance);
    const maxScores = tf.max(instanceScores, 0) as tf.Tensor1D;
    // The choice of instance is a decision outside the graph (argmax has
    // no gradient); the chosen rows stay differentiable.
    const critical = Array.from(
      tf.tidy(() => tf.argMax(instanceScores, 0)).dataSync(),
    );
    const q = this.#query(features);
    const criticalQ = selectRows(q, critical); // [C, q]
    const attention = tf.mul(
      tf.matMul(criticalQ, q, false, true),
      1 / Math.sqrt(this.options.queryDim),
    ) as tf.Tensor2D;
    const pooled = tf.matMul(tf.softmax(attention, -1), features); // [C, D]
    const bagLogits = tf.reshape(
      applyLinear(tf.reshape(pooled, [1, -1]) as tf.Tensor2D, this.#bag),
      [c],
    ) as tf.Tensor1D;
    return { instanceScores, maxScores, bagLogits, attention, critical };
  }

  /** The query embedding `[N, q]` of instances `h [N, D]`. */
  query(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.#query(h));
  }

  #query(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tanh(
      applyLinear(applyLinear(h, this.#q1, "relu"), this.#q2),
    ) as tf.Tensor2D;
  }
}

/** log(½ softmax(max) + ½ softmax(bag)), computed stably. */
function averagedLogits(s: DsmilStreams): tf.Tensor1D {
  const both = tf.stack([
    tf.logSoftmax(s.maxScores),
    tf.logSoftmax(s.bagLogits),
  ]);
  return tf.sub(tf.logSumExp(both, 0), Math.LN2) as tf.Tensor1D;
}

/** The options of `dsmil` and their ranges. */
const DSMIL_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  queryDim: {
    about: "width of the query embedding q",
    type: "integer",
    min: 1,
  },
  maxWeight: {
    about: "weight of the max-instance cross-entropy (the bag one gets 1 − it)",
    type: "number",
    min: 0,
    max: 1,
  },
};

registerModel({
  name: "dsmil",
  description:
    "DSMIL (Li 2021): instance classifier + critical-instance distance attention, 0.5/0.5 max-instance and bag losses",
  defaults: DSMIL_DEFAULTS,
  options: DSMIL_OPTIONS,
  factory: (options) => new Dsmil(options),
});
