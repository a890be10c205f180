/**
 * ABMIL (Ilse et al. 2018), non-gated and gated, as in notes/method.md:
 * Linear(D → D_inner, no bias) + ReLU → attention MLP → softmax over the N
 * instances → attention-weighted sum → Linear(D_inner → C). Unlike the
 * reference code, the final score layer Linear(128 → 1) has no bias: it
 * shifts every score equally, softmax ignores it, and it would be a
 * trainable variable that never receives a gradient.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardOutput, ModelOptions } from "./mil_model.ts";
import { type ModelOptionSpec, registerModel } from "./registry.ts";
import { checkModelOptions, MilBase } from "./mil_base.ts";
import { applyLinear, type LinearParams } from "./weights_scope.ts";

/** Options of `abmil` and `gated_abmil`. */
export interface AbmilOptions extends ModelOptions {
  /** Width after dimension reduction (D_inner); default 512. */
  innerDim?: number;
  /** Hidden width of the attention MLP; default 128. */
  attentionDim?: number;
}

/** Defaults shared by both variants. */
export const ABMIL_DEFAULTS = { innerDim: 512, attentionDim: 128, seed: 0 };

/**
 * Attention-based MIL with one attention head.
 *
 * @example
 * ```ts ignore
 * const model = new Abmil({ inputDim: 1024, numClasses: 2, seed: 1 }, true);
 * const { logits, attention } = model.forward(bag, { training: false });
 * ```
 */
export class Abmil extends MilBase<AbmilOptions> {
  #reduce: LinearParams;
  #v: LinearParams;
  #u: LinearParams | undefined;
  #w: LinearParams;
  #classifier: LinearParams;

  /** Builds the model; `gated` selects tanh(Vh) ⊙ σ(Uh) attention. */
  constructor(options: AbmilOptions, gated: boolean) {
    const resolved = { ...ABMIL_DEFAULTS, ...options };
    checkModelOptions("ABMIL", resolved, ABMIL_OPTIONS);
    super(gated ? "gated_abmil" : "abmil", resolved);
    const { inputDim, innerDim, attentionDim, numClasses } = this.options;
    const scope = this.scope;
    this.#reduce = scope.linear("reduce", inputDim, innerDim, { bias: false });
    this.#v = scope.linear("attention.v", innerDim, attentionDim);
    this.#u = gated
      ? scope.linear("attention.u", innerDim, attentionDim)
      : undefined;
    // No bias on the score layer: softmax over instances is shift-invariant,
    // so that bias (present in the reference code) never gets a gradient.
    this.#w = scope.linear("attention.w", attentionDim, 1, { bias: false });
    this.#classifier = scope.linear("classifier", innerDim, numClasses);
  }

  protected override pass(features: tf.Tensor2D): ForwardOutput {
    const h = applyLinear(features, this.#reduce, "relu");
    let hidden = tf.tanh(applyLinear(h, this.#v));
    if (this.#u !== undefined) {
      hidden = tf.mul(hidden, tf.sigmoid(applyLinear(h, this.#u)));
    }
    // [N, 1] → [1, N]: one head of scores over the instances.
    const attention = tf.reshape(applyLinear(hidden, this.#w), [
      1,
      -1,
    ]) as tf.Tensor2D;
    const pooled = tf.matMul(tf.softmax(attention), h) as tf.Tensor2D;
    const logits = tf.reshape(applyLinear(pooled, this.#classifier), [
      -1,
    ]) as tf.Tensor1D;
    return { logits, attention };
  }
}

/** The options of `abmil` and `gated_abmil` and their ranges. */
const ABMIL_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  innerDim: {
    about: "width after dimension reduction (D_inner)",
    type: "integer",
    min: 1,
  },
  attentionDim: {
    about: "hidden width of the attention MLP",
    type: "integer",
    min: 1,
  },
};

registerModel({
  name: "abmil",
  description: "Attention MIL (Ilse 2018): tanh attention MLP, softmax pooling",
  defaults: ABMIL_DEFAULTS,
  options: ABMIL_OPTIONS,
  factory: (options) => new Abmil(options, false),
});

registerModel({
  name: "gated_abmil",
  description: "Gated attention MIL (Ilse 2018): tanh(Vh)⊙σ(Uh) attention",
  defaults: ABMIL_DEFAULTS,
  options: ABMIL_OPTIONS,
  factory: (options) => new Abmil(options, true),
});
