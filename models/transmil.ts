/**
 * TransMIL (Shao et al. 2021) as in notes/method.md: Linear(D → D_inner) +
 * ReLU → the N tokens padded to a square H × H (H = ⌈√N⌉) by repeating the
 * first H² − N tokens, as the reference does → a learnable class token in
 * front → Nyström self-attention layer (pre-LayerNorm, residual) → PPEG
 * on the square → second Nyström layer → LayerNorm → the class token →
 * Linear(D_inner → C). Each layer: 8 heads, landmarks D_inner/2, 6
 * pseudo-inverse iterations, a depthwise conv (kernel 33) of V added to
 * the attention output, dropout 0.1 after the output projection
 * (layers/nystrom_attention.ts). Memory and time are O(N·m); the
 * attention blocks are checkpointed (their activations recomputed in the
 * backward pass), and above `lowMemoryAbove` tokens × width every stage is,
 * so a training step at D_inner 512 fits the wasm heap up to N ≈ 16,000
 * (20,000 at D_inner ≤ 256).
 *
 * `attention` is the class token's row of the last layer's attention,
 * `[8, N]`: per head, its pre-softmax scores q_cls·k_i/√d_head over the
 * real instances only (neither the class token itself nor the square's
 * repeated tokens). The layer pools with the Nyström approximation of
 * softmax over all its tokens; these are the exact scores that
 * approximation stands for, renormalised over the instances.
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
import { checkModelOptions, MilBase } from "./mil_base.ts";
import { checkBag } from "./bag_check.ts";
import { applyLinear, type LinearParams } from "./weights_scope.ts";
import { defaultInnerDim } from "./layers/options.ts";
import { LayerNorm } from "./layers/layer_norm.ts";
import { NystromSelfAttention } from "./layers/nystrom_attention.ts";
import { Ppeg } from "./layers/ppeg.ts";
import { requireRng } from "./layers/require_rng.ts";
import type { Rng } from "../core/random.ts";
import { checkpoint } from "./layers/checkpoint.ts";
import { dropoutMaskValues } from "./layers/dropout.ts";

/** Options of `transmil`. */
export interface TransMilOptions extends ModelOptions {
  /** Token width; default ≈ D/2 rounded up to a multiple of `heads` (512 for D = 1024). */
  innerDim?: number;
  /** Attention heads; default 8. */
  heads?: number;
  /** Nyström landmarks; default innerDim/2. */
  landmarks?: number;
  /** Pseudo-inverse iterations; default 6. */
  pinvIterations?: number;
  /** Length of the depthwise conv of V; default 33. */
  residualKernel?: number;
  /** Dropout after each attention's output projection; default 0.1. */
  dropout?: number;
  /**
   * Tokens × innerDim above which every stage (not only the two attention
   * blocks) is recomputed in the backward pass: ~20% slower, about half
   * the peak memory; default 2²² (N ≈ 8,000 at innerDim 512).
   */
  lowMemoryAbove?: number;
}

/** Defaults of `transmil` (innerDim and landmarks resolved from inputDim). */
export const TRANSMIL_DEFAULTS = {
  heads: 8,
  pinvIterations: 6,
  residualKernel: 33,
  dropout: 0.1,
  lowMemoryAbove: 2 ** 22,
  seed: 0,
};

/**
 * Transformer MIL with Nyström attention and PPEG.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { TransMil } from "./transmil.ts";
 * const model = new TransMil({ inputDim: 16, numClasses: 2, seed: 1 });
 * const { attention } = model.forward(tf.randomNormal([7, 16]), { training: false });
 * if (attention.shape.join() !== "8,7") throw new Error("[heads, N]");
 * model.dispose();
 * ```
 */
export class TransMil extends MilBase<TransMilOptions> {
  #reduce: LinearParams;
  #cls: tf.Variable;
  #norm1: LayerNorm;
  #layer1: NystromSelfAttention;
  #ppeg: Ppeg;
  #norm2: LayerNorm;
  #layer2: NystromSelfAttention;
  #norm: LayerNorm;
  #classifier: LinearParams;

  /** Builds the model from `options` (defaults filled in). */
  constructor(options: TransMilOptions) {
    const heads = options.heads ?? TRANSMIL_DEFAULTS.heads;
    const innerDim = options.innerDim ??
      defaultInnerDim(options.inputDim, heads);
    const resolved = {
      ...TRANSMIL_DEFAULTS,
      innerDim,
      landmarks: Math.max(1, Math.floor(innerDim / 2)),
      ...options,
    } as Required<TransMilOptions>;
    checkModelOptions("TransMIL", resolved, TRANSMIL_OPTIONS);
    if (resolved.innerDim % resolved.heads !== 0) {
      throw new RangeError(
        `TransMIL option innerDim must be a multiple of heads (${resolved.heads}): current value is ${resolved.innerDim}`,
      );
    }
    super("transmil", resolved);
    const { inputDim, numClasses } = resolved;
    const scope = this.scope;
    const layer = {
      dim: innerDim,
      heads: resolved.heads,
      landmarks: resolved.landmarks,
      pinvIterations: resolved.pinvIterations,
      residualKernel: resolved.residualKernel,
    };
    this.#reduce = scope.linear("reduce", inputDim, innerDim);
    this.#cls = scope.variable("cls", [1, innerDim], scope.normal(innerDim, 1));
    this.#norm1 = new LayerNorm(scope, "layer1.norm", 1, innerDim, 1e-5);
    this.#layer1 = new NystromSelfAttention(scope, "layer1.attention", layer);
    this.#ppeg = new Ppeg(scope, "ppeg", innerDim);
    this.#norm2 = new LayerNorm(scope, "layer2.norm", 1, innerDim, 1e-5);
    this.#layer2 = new NystromSelfAttention(scope, "layer2.attention", layer);
    this.#norm = new LayerNorm(scope, "norm", 1, innerDim, 1e-5);
    this.#classifier = scope.linear("classifier", innerDim, numClasses);
  }

  protected override pass(
    features: tf.Tensor2D,
    options: ForwardOptions,
  ): ForwardOutput {
    const t = this.#trunk(features, options, true);
    const x = this.#block(
      t.tokens,
      this.#norm2,
      this.#layer2,
      options,
      t.lowMemory,
    );
    const cls = this.#norm.apply(tf.slice(x, [0, 0], [1, -1]) as tf.Tensor2D);
    const logits = tf.reshape(
      applyLinear(cls, this.#classifier),
      [-1],
    ) as tf.Tensor1D;
    return { logits, attention: t.attention };
  }

  /**
   * The attention of `forward` in evaluation mode without the second
   * attention layer and the classifier, which it does not depend on (the
   * anchor's target costs about a third less).
   */
  attentionScores(features: tf.Tensor2D): tf.Tensor2D {
    checkBag(features, this.options.inputDim);
    return tf.tidy(() =>
      this.#trunk(features, { training: false }, false).attention
    );
  }

  /**
   * Reduction, class token, first layer, PPEG and the second layer's class
   * token scores: the tokens entering the second layer and the attention
   * `[heads, N]`. With `differentiable`, large bags checkpoint every stage
   * (only the tokens between stages are kept for the backward pass,
   * layers/checkpoint.ts); the attention blocks always are.
   */
  #trunk(
    features: tf.Tensor2D,
    options: ForwardOptions,
    differentiable: boolean,
  ): { tokens: tf.Tensor2D; attention: tf.Tensor2D; lowMemory: boolean } {
    const n = features.shape[0];
    const side = Math.ceil(Math.sqrt(n));
    const extra = side * side - n; // ≤ n for every n ≥ 1
    const lowMemory =
      (1 + side * side) * this.options.innerDim > this.options.lowMemoryAbove;
    const stage = <T extends tf.Tensor>(
      block: (...xs: tf.Tensor[]) => T,
      tensors: tf.Tensor[],
      variables: tf.Variable[],
    ) =>
      differentiable && lowMemory
        ? checkpoint(block, tensors, variables)
        : block(...tensors);
    const front = () => {
      const h = applyLinear(features, this.#reduce, "relu");
      const square = extra > 0
        ? tf.concat([h, tf.slice(h, [0, 0], [extra, -1])])
        : h;
      return tf.concat([this.#cls, square]) as tf.Tensor2D;
    };
    const reduceVars = [this.#reduce.w, this.#reduce.b!, this.#cls];
    let x = stage(front, [], reduceVars);
    x = this.#block(x, this.#norm1, this.#layer1, options, lowMemory);
    x = stage(
      (h) => this.#ppeg.apply(h as tf.Tensor2D, side),
      [x],
      this.#ppeg.variables(),
    );
    const scores = stage(
      (h) => this.#layer2.firstRowScores(this.#norm2.apply(h as tf.Tensor2D)),
      [x],
      [this.#norm2.gamma, this.#norm2.beta, ...this.#layer2.scoreVariables()],
    );
    const attention = tf.slice(scores, [0, 1], [-1, n]) as tf.Tensor2D;
    return { tokens: x, attention, lowMemory };
  }

  /**
   * `x + attention(norm(x))` as one checkpointed op: its activations are
   * recomputed in the backward pass instead of kept (a layer holds ~30
   * `[L, D_inner]` tensors and the pseudo-inverse's iterates).
   */
  #block(
    x: tf.Tensor2D,
    norm: LayerNorm,
    attention: NystromSelfAttention,
    options: ForwardOptions,
    lowMemory: boolean,
  ): tf.Tensor2D {
    const rate = this.options.dropout;
    const mask = options.training && rate > 0
      ? dropoutMask(x.shape, rate, requireRng(options, "TransMIL's dropout"))
      : null;
    const variables = [norm.gamma, norm.beta, ...attention.variables()];
    const block = (h: tf.Tensor, m?: tf.Tensor) =>
      tf.add(
        h,
        attention.apply(norm.apply(h as tf.Tensor2D), m ?? null, lowMemory),
      );
    return checkpoint(block, mask ? [x, mask] : [x], variables) as tf.Tensor2D;
  }
}

/** An inverted-dropout mask: 0 with probability `rate`, else 1/(1 − rate). */
function dropoutMask(shape: number[], rate: number, rng: Rng): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(dropoutMaskValues(size, rate, rng), shape);
}

/** The options of `transmil` and their ranges. */
const TRANSMIL_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  innerDim: {
    about: "token width",
    type: "integer",
    min: 1,
    also: "a multiple of heads",
    derivedDefault: "≈ inputDim/2, a multiple of heads",
  },
  heads: { about: "attention heads", type: "integer", min: 1 },
  landmarks: {
    about: "Nyström landmarks",
    type: "integer",
    min: 1,
    derivedDefault: "innerDim/2",
  },
  pinvIterations: {
    about: "pseudo-inverse iterations",
    type: "integer",
    min: 0,
  },
  residualKernel: {
    about: "length of the depthwise conv of V",
    type: "integer",
    min: 1,
    also: "odd",
  },
  dropout: {
    about: "dropout after each attention's output projection",
    type: "number",
    min: 0,
    max: 1,
    maxExclusive: true,
  },
  lowMemoryAbove: {
    about:
      "tokens × innerDim above which every stage is recomputed in the backward pass",
    type: "integer",
    min: 0,
  },
};

registerModel({
  name: "transmil",
  description:
    "TransMIL (Shao 2021): square padding, class token, two Nyström attention layers with PPEG between",
  defaults: TRANSMIL_DEFAULTS,
  options: TRANSMIL_OPTIONS,
  factory: (options) => new TransMil(options),
});
