/**
 * ACMIL (Zhang et al., ECCV 2024) as in notes/method.md: dimension
 * reduction → gated attention with K = `nToken` branches → per branch,
 * softmax pooling and its own classifier; the slide feature pools with the
 * mean of the branch attentions → slide classifier. In training, STKIM masks
 * `floor(k·maskFraction)` random entries among each branch's top-k scores.
 * Loss = CE(slide) + CE(branches, mean over branches) + diversity (mean
 * pairwise cosine similarity of the branch attentions).
 *
 * As in the reference, pooling, the slide path and the diversity term use
 * the masked scores in training. The returned `attention` is the unmasked
 * `[K, N]` scores: it is what history and the anchor need, and masked
 * entries (−1e9) would make any log-attention loss explode.
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
import { crossEntropy } from "./abmil_loss.ts";
import { applyLinear, type LinearParams } from "./weights_scope.ts";
import { GatedAttention } from "./layers/gated_attention.ts";
import { ParallelLinear } from "./layers/parallel_linear.ts";
import { STKIM_MASKED_SCORE, stkimMask } from "./layers/stkim.ts";
import { meanCrossEntropy } from "./layers/mean_cross_entropy.ts";
import { requireRng } from "./layers/require_rng.ts";
import { defaultInnerDim, INNER_DIM_OPTION } from "./layers/options.ts";
import { meanPairwiseCosine } from "./layers/pairwise_cosine.ts";

/** Options of `acmil`. */
export interface AcmilOptions extends ModelOptions {
  /** Width after dimension reduction; default ≈ D/2 (see layers/options.ts). */
  innerDim?: number;
  /** Hidden width of the gated attention; default 128. */
  attentionDim?: number;
  /** Number of attention branches K; default 5. */
  nToken?: number;
  /** STKIM: how many top-scoring instances per branch are candidates; default 10. */
  topK?: number;
  /** STKIM: fraction of the top-k that is masked; default 0.6. */
  maskFraction?: number;
  /** Weight of the mean branch cross-entropy; default 1. */
  branchLossWeight?: number;
  /** Weight of the diversity term; default 1. */
  diversityWeight?: number;
}

/** Defaults of `acmil` (innerDim is resolved from inputDim when absent). */
export const ACMIL_DEFAULTS = {
  attentionDim: 128,
  nToken: 5,
  topK: 10,
  maskFraction: 0.6,
  branchLossWeight: 1,
  diversityWeight: 1,
  seed: 0,
};

/** ACMIL's pass: the outputs, each branch's logits and its pooling weights. */
interface AcmilPass extends ForwardOutput {
  branchLogits: tf.Tensor2D;
  weights: tf.Tensor2D;
}

/**
 * Attention-challenging MIL with K gated-attention branches.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Acmil } from "./acmil.ts";
 * const model = new Acmil({ inputDim: 16, numClasses: 2, seed: 1 });
 * const { attention } = model.forward(tf.randomNormal([9, 16]), { training: false });
 * if (attention.shape.join() !== "5,9") throw new Error("[K, N]");
 * model.dispose();
 * ```
 */
export class Acmil extends MilBase<AcmilOptions, AcmilPass> {
  #reduce: LinearParams;
  #attention: GatedAttention;
  #branchClassifiers: ParallelLinear;
  #classifier: LinearParams;

  /** Builds the model from `options` (defaults filled in). */
  constructor(options: AcmilOptions) {
    const resolved = {
      ...ACMIL_DEFAULTS,
      innerDim: defaultInnerDim(options.inputDim, 8),
      ...options,
    } as Required<AcmilOptions>;
    checkModelOptions("ACMIL", resolved, ACMIL_OPTIONS);
    super("acmil", resolved);
    const { inputDim, innerDim, attentionDim, nToken, numClasses } = resolved;
    const scope = this.scope;
    this.#reduce = scope.linear("reduce", inputDim, innerDim, { bias: false });
    this.#attention = new GatedAttention(
      scope,
      "attention",
      innerDim,
      attentionDim,
      nToken,
    );
    this.#branchClassifiers = new ParallelLinear(
      scope,
      "branch_classifiers",
      nToken,
      innerDim,
      numClasses,
    );
    this.#classifier = scope.linear("classifier", innerDim, numClasses);
  }

  protected override lossOf(pass: AcmilPass, label: number): LossParts {
    const ce = crossEntropy(pass.logits, label);
    const branches = tf.mul(
      meanCrossEntropy(pass.branchLogits, label),
      this.options.branchLossWeight,
    ) as tf.Scalar;
    const diversity = tf.mul(
      meanPairwiseCosine(pass.weights),
      this.options.diversityWeight,
    ) as tf.Scalar;
    const total = tf.addN([ce, branches, diversity]) as tf.Scalar;
    return { total, parts: { ce, branches, diversity } };
  }

  protected override pass(
    features: tf.Tensor2D,
    options: ForwardOptions,
  ): AcmilPass {
    const h = applyLinear(features, this.#reduce, "relu");
    const scores = this.#attention.scores(h);
    const pooledScores = options.training
      ? this.#stkim(scores, options)
      : scores;
    const weights = tf.softmax(pooledScores, -1) as tf.Tensor2D;
    const branchLogits = this.#branchClassifiers.apply(
      tf.matMul(weights, h) as tf.Tensor2D,
    );
    const slideWeights = tf.mean(weights, 0, true) as tf.Tensor2D;
    const logits = tf.reshape(
      applyLinear(tf.matMul(slideWeights, h) as tf.Tensor2D, this.#classifier),
      [-1],
    ) as tf.Tensor1D;
    return { logits, attention: scores, branchLogits, weights };
  }

  #stkim(scores: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    const rng = requireRng(options, "ACMIL's top-k masking");
    const [rows, n] = scores.shape;
    const { topK, maskFraction } = this.options;
    const mask = stkimMask(
      scores.dataSync() as Float32Array,
      rows,
      n,
      topK,
      maskFraction,
      rng,
    );
    if (!mask.includes(1)) return scores;
    const offset = Float32Array.from(mask, (m) => m ? STKIM_MASKED_SCORE : 0);
    // Masked entries become −1e9: their softmax weight and gradient are 0.
    return tf.where(
      tf.tensor2d(mask, [rows, n], "bool"),
      tf.tensor2d(offset, [rows, n]),
      scores,
    );
  }
}

/** The options of `acmil` and their ranges. */
const ACMIL_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  innerDim: INNER_DIM_OPTION,
  attentionDim: {
    about: "hidden width of the gated attention",
    type: "integer",
    min: 1,
  },
  nToken: { about: "attention branches K", type: "integer", min: 1 },
  topK: {
    about: "STKIM: top-scoring instances per branch that are candidates",
    type: "integer",
    min: 0,
  },
  maskFraction: {
    about: "STKIM: fraction of the top-k that is masked",
    type: "number",
    min: 0,
    max: 1,
  },
  branchLossWeight: {
    about: "weight of the mean branch cross-entropy",
    type: "number",
  },
  diversityWeight: { about: "weight of the diversity term", type: "number" },
};

registerModel({
  name: "acmil",
  description:
    "ACMIL (Zhang 2024): K gated-attention branches, STKIM top-k masking, branch + diversity losses",
  defaults: ACMIL_DEFAULTS,
  options: ACMIL_OPTIONS,
  factory: (options) => new Acmil(options),
});
