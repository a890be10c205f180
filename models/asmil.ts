/**
 * The ASMIL attention model (notes/method.md), without its anchor: dimension
 * reduction → `nToken` learnable query tokens, each with its own 8-head
 * cross-attention over the instances → token random dropping (training
 * only) → a learnable CLS query attending over the kept token features →
 * slide classifier. The reference's per-token classifiers have loss weight
 * 0 there, i.e. no effect on training; here they are only built (and add
 * `parts.tokens`) when `tokenLossWeight` > 0, so no weight goes untrained.
 * The full ASMIL method is this model wrapped by the anchor
 * (`createAnchored("asmil", …)` in anchor_factory.ts).
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
import { CrossAttention } from "./layers/cross_attention.ts";
import { ParallelLinear } from "./layers/parallel_linear.ts";
import { keptTokens } from "./layers/token_dropping.ts";
import { meanCrossEntropy } from "./layers/mean_cross_entropy.ts";
import { checkIntegerOption, defaultInnerDim } from "./layers/options.ts";

/** Options of `asmil`. */
export interface AsmilOptions extends ModelOptions {
  /** Width after dimension reduction; default the released code's for its widths (384→128, 512→256, 768→384, 1024→512, 1536→768), else ≈ D/2 rounded up to a multiple of `heads` (≥ 4·heads). */
  innerDim?: number;
  /** Number of learnable query tokens; default 4. */
  nToken?: number;
  /** Token features dropped at random in training; default 2. */
  nDrop?: number;
  /** Attention heads per token and for the CLS query; default 8. */
  heads?: number;
  /** Dropout after each attention's out-projection; default 0.1. */
  dropout?: number;
  /** Standard deviation of the initial query tokens and CLS query; default 1e-6 (the method's). */
  queryInitStd?: number;
  /** Weight of the mean per-token cross-entropy; default 0 (per-token classifiers not built). */
  tokenLossWeight?: number;
}

/** Defaults of `asmil` (innerDim is resolved from inputDim when absent). */
export const ASMIL_DEFAULTS = {
  nToken: 4,
  nDrop: 2,
  heads: 8,
  dropout: 0.1,
  queryInitStd: 1e-6,
  tokenLossWeight: 0,
  seed: 0,
};

/** ASMIL's pass: the outputs and every token's feature `[nToken, D_inner]`. */
interface AsmilPass extends ForwardOutput {
  tokenFeatures: tf.Tensor2D;
}

/**
 * ASMIL's token-attention MIL model.
 *
 * `attention` is `[nToken·heads, N]`, token-major (row t·heads + h), the
 * pre-softmax scores of every token (dropped ones included).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Asmil } from "./asmil.ts";
 * const model = new Asmil({ inputDim: 16, numClasses: 2, seed: 1 });
 * const { logits, attention } = model.forward(tf.randomNormal([9, 16]), { training: false });
 * if (attention.shape.join() !== "32,9" || logits.shape.join() !== "2") throw new Error("shapes");
 * model.dispose();
 * ```
 */
export class Asmil extends MilBase<AsmilOptions, AsmilPass> {
  #reduce: LinearParams;
  #tokens: tf.Variable;
  #tokenAttention: CrossAttention;
  #tokenClassifiers: ParallelLinear | null;
  #cls: tf.Variable;
  #clsAttention: CrossAttention;
  #classifier: LinearParams;

  /** Builds the model from `options` (defaults filled in). */
  constructor(options: AsmilOptions) {
    const heads = options.heads ?? ASMIL_DEFAULTS.heads;
    const resolved = {
      ...ASMIL_DEFAULTS,
      innerDim: defaultInnerDim(options.inputDim, heads),
      ...options,
    } as Required<AsmilOptions>;
    checkModelOptions("ASMIL", resolved, ASMIL_OPTIONS);
    checkIntegerOption(
      "ASMIL",
      "nDrop",
      resolved.nDrop,
      0,
      resolved.nToken - 1,
    );
    if (resolved.innerDim % resolved.heads !== 0) {
      throw new RangeError(
        `ASMIL option heads must divide innerDim: got heads ${resolved.heads}, innerDim ${resolved.innerDim}`,
      );
    }
    super("asmil", resolved);
    const { inputDim, innerDim, nToken, numClasses, dropout } = resolved;
    const scope = this.scope;
    this.#reduce = scope.linear("reduce", inputDim, innerDim, { bias: false });
    this.#tokens = scope.variable(
      "tokens",
      [nToken, innerDim],
      scope.normal(nToken * innerDim, resolved.queryInitStd),
    );
    const attention = { dim: innerDim, heads, dropout, eps: 1e-6 };
    this.#tokenAttention = new CrossAttention(scope, "token_attention", {
      ...attention,
      queries: nToken,
    });
    this.#tokenClassifiers = resolved.tokenLossWeight === 0
      ? null
      : new ParallelLinear(
        scope,
        "token_classifiers",
        nToken,
        innerDim,
        numClasses,
      );
    this.#cls = scope.variable(
      "cls",
      [1, innerDim],
      scope.normal(innerDim, resolved.queryInitStd),
    );
    this.#clsAttention = new CrossAttention(scope, "cls_attention", {
      ...attention,
      queries: 1,
    });
    this.#classifier = scope.linear("classifier", innerDim, numClasses);
  }

  protected override lossOf(pass: AsmilPass, label: number): LossParts {
    const ce = crossEntropy(pass.logits, label);
    if (this.#tokenClassifiers === null) return { total: ce, parts: { ce } };
    const tokens = tf.mul(
      meanCrossEntropy(this.#tokenClassifiers.apply(pass.tokenFeatures), label),
      this.options.tokenLossWeight,
    ) as tf.Scalar;
    const total = tf.add(ce, tokens) as tf.Scalar;
    return { total, parts: { ce, tokens } };
  }

  protected override pass(
    features: tf.Tensor2D,
    options: ForwardOptions,
  ): AsmilPass {
    const h = applyLinear(features, this.#reduce, "relu");
    const { features: tokenFeatures, scores } = this.#tokenAttention.apply(
      this.#tokens as tf.Tensor2D,
      h,
      options,
    );
    const kept = keptTokens(this.options.nToken, this.options.nDrop, options);
    // Selecting rows by a one-hot matMul, not tf.gather: gather's gradient
    // (UnsortedSegmentSum) has no wasm kernel.
    const slideTokens = kept === null ? tokenFeatures : tf.matMul(
      tf.oneHot(kept, this.options.nToken),
      tokenFeatures,
    ) as tf.Tensor2D;
    const slide = this.#clsAttention.apply(
      this.#cls as tf.Tensor2D,
      slideTokens,
      options,
    ).features;
    const logits = tf.reshape(
      applyLinear(slide, this.#classifier),
      [-1],
    ) as tf.Tensor1D;
    return { logits, attention: scores, tokenFeatures };
  }
}

/** The options of `asmil` and their ranges. */
const ASMIL_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  innerDim: {
    about: "width after dimension reduction",
    type: "integer",
    min: 1,
    also: "a multiple of heads",
    derivedDefault:
      "the released code's: 128 for 384, 256 for 512, 384 for 768, 512 for 1024, 768 for 1536; else ≈ inputDim/2, a multiple of heads, ≥ 4·heads",
  },
  nToken: { about: "learnable query tokens", type: "integer", min: 1 },
  nDrop: {
    about: "token features dropped at random in training",
    type: "integer",
    min: 0,
    also: "< nToken",
  },
  heads: {
    about: "attention heads per token and for the CLS query",
    type: "integer",
    min: 1,
    also: "divides innerDim",
  },
  dropout: {
    about: "dropout after each attention's out-projection",
    type: "number",
    min: 0,
    max: 1,
    maxExclusive: true,
  },
  queryInitStd: {
    about: "standard deviation of the initial query tokens and CLS query",
    type: "number",
  },
  tokenLossWeight: {
    about:
      "weight of the mean per-token cross-entropy (0: no per-token classifiers)",
    type: "number",
    min: 0,
  },
};

registerModel({
  name: "asmil",
  description:
    "ASMIL token attention (Ma 2026): n_token queries × 8-head cross-attention, token dropping, CLS aggregation; wrap with the anchor for full ASMIL",
  defaults: ASMIL_DEFAULTS,
  options: ASMIL_OPTIONS,
  factory: (options) => new Asmil(options),
});
