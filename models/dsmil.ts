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
  LossOutput,
  MilModel,
  ModelOptions,
} from "./mil_model.ts";
import { type ModelOptionSpec, registerModel } from "./registry.ts";
import { checkBag } from "./bag_check.ts";
import { checkLabel, crossEntropy } from "./abmil_loss.ts";
import { applyLinear, type LinearParams, ParamScope } from "./weights_scope.ts";
import { checkIntegerOption } from "./layers/options.ts";
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
export class Dsmil implements MilModel {
  readonly name = "dsmil";
  readonly options: Readonly<Required<DsmilOptions>>;
  readonly attentionNormalisation = "softmax" as const;
  #scope: ParamScope;
  #instance: LinearParams;
  #q1: LinearParams;
  #q2: LinearParams;
  #bag: LinearParams;

  /** Builds the model from `options` (defaults filled in). */
  constructor(options: DsmilOptions) {
    const resolved = { ...DSMIL_DEFAULTS, ...options } as Required<
      DsmilOptions
    >;
    checkIntegerOption("DSMIL", "inputDim", resolved.inputDim, 1);
    checkIntegerOption("DSMIL", "queryDim", resolved.queryDim, 1);
    checkIntegerOption("DSMIL", "numClasses", resolved.numClasses, 2);
    if (!(resolved.maxWeight >= 0 && resolved.maxWeight <= 1)) {
      throw new RangeError(
        `DSMIL option maxWeight must be in [0, 1]: current value is ${resolved.maxWeight}`,
      );
    }
    this.options = resolved;
    const { inputDim, queryDim, numClasses, seed } = resolved;
    const scope = new ParamScope(this.name, seed);
    this.#scope = scope;
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

  forward(features: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    return tf.tidy(() => {
      const s = this.streams(features, options);
      return { logits: averagedLogits(s), attention: s.attention };
    });
  }

  loss(
    features: tf.Tensor2D,
    label: number,
    options: ForwardOptions,
  ): LossOutput {
    checkLabel(label, this.options.numClasses);
    return tf.tidy(() => {
      const s = this.streams(features, options);
      const ce = crossEntropy(s.bagLogits, label);
      const max = crossEntropy(s.maxScores, label);
      const w = this.options.maxWeight;
      const total = tf.add(tf.mul(max, w), tf.mul(ce, 1 - w)) as tf.Scalar;
      return {
        logits: averagedLogits(s),
        attention: s.attention,
        total,
        parts: { ce, max },
      };
    });
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

  trainableVariables(): tf.Variable[] {
    return this.#scope.variables();
  }

  dispose(): void {
    this.#scope.dispose();
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
