/**
 * CLAM (Lu et al. 2021), single-branch (`clam_sb`) and multi-branch
 * (`clam_mb`), as in notes/method.md: Linear(D → D_inner) + ReLU + dropout
 * → gated attention tanh(V h)·σ(U h) (each with dropout) → w, with one
 * attention row (SB) or one per class (MB) → softmax pooling → slide
 * logits (SB: Linear(D_inner → C) on the pooled feature; MB: class c's
 * own Linear(D_inner → 1) on the feature pooled by row c). Per class, a
 * binary instance classifier is trained on pseudo labels from the
 * attention (top-k / bottom-k, layers/clam_instance_loss.ts).
 *
 * Loss = w·CE(slide) + (1 − w)·instance (`parts.ce`, `parts.instance`,
 * unweighted). The instance part is the label class's in-class loss; with
 * `subtyping` every other class's classifier also gets its out-of-class
 * loss and the sum is divided by C (as the reference does). `attention` is
 * the pre-softmax `[1, N]` (SB) or `[C, N]` (MB) scores it pools with.
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
import { dropout } from "./layers/dropout.ts";
import { defaultInnerDim, INNER_DIM_OPTION } from "./layers/options.ts";
import { clamInstanceLoss } from "./layers/clam_instance_loss.ts";

/** Options of `clam_sb` and `clam_mb`. */
export interface ClamOptions extends ModelOptions {
  /** Width after dimension reduction; default ≈ D/2 (512 for D = 1024). */
  innerDim?: number;
  /** Hidden width of the gated attention; default innerDim/2 (256 for 512). */
  attentionDim?: number;
  /** Dropout after the reduction and in the attention branches; default 0.25. */
  dropout?: number;
  /** Instances per pseudo label set (top-k and bottom-k); default 8, clamped to N. */
  kSample?: number;
  /** Weight w of the slide loss (the instance loss gets 1 − w); default 0.7. */
  bagWeight?: number;
  /** Out-of-class instance losses too (subtyping problems); default: C > 2. */
  subtyping?: boolean;
}

/** Defaults shared by both variants (innerDim, attentionDim, subtyping resolved per model). */
export const CLAM_DEFAULTS = {
  dropout: 0.25,
  kSample: 8,
  bagWeight: 0.7,
  seed: 0,
};

/** CLAM's pass: the outputs and the reduced instances `[N, D_inner]`. */
interface ClamPass extends ForwardOutput {
  h: tf.Tensor2D;
}

/**
 * CLAM with one (`"sb"`) or C (`"mb"`) attention branches.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Clam } from "./clam.ts";
 * const model = new Clam({ inputDim: 16, numClasses: 3, seed: 1 }, "mb");
 * const { attention } = model.forward(tf.randomNormal([9, 16]), { training: false });
 * if (attention.shape.join() !== "3,9") throw new Error("one row per class");
 * model.dispose();
 * ```
 */
export class Clam extends MilBase<ClamOptions, ClamPass> {
  readonly variant: "sb" | "mb";
  #reduce: LinearParams;
  #v: LinearParams;
  #u: LinearParams;
  #w: LinearParams;
  #bagClassifier: LinearParams;
  #instanceClassifiers: LinearParams[];

  /** Builds the variant from `options` (defaults filled in). */
  constructor(options: ClamOptions, variant: "sb" | "mb") {
    const innerDim = options.innerDim ?? defaultInnerDim(options.inputDim, 8);
    const resolved = {
      ...CLAM_DEFAULTS,
      innerDim,
      attentionDim: Math.max(1, Math.floor(innerDim / 2)),
      subtyping: options.numClasses > 2,
      ...options,
    } as Required<ClamOptions>;
    checkModelOptions(
      variant === "sb" ? "CLAM-SB" : "CLAM-MB",
      resolved,
      CLAM_OPTIONS,
    );
    super(variant === "sb" ? "clam_sb" : "clam_mb", resolved);
    this.variant = variant;
    const { inputDim, attentionDim, numClasses } = resolved;
    const scope = this.scope;
    const rows = variant === "sb" ? 1 : numClasses;
    this.#reduce = scope.linear("reduce", inputDim, innerDim);
    this.#v = scope.linear("attention.v", innerDim, attentionDim);
    this.#u = scope.linear("attention.u", innerDim, attentionDim);
    // No bias: softmax over the instances ignores a per-row constant.
    this.#w = scope.linear("attention.w", attentionDim, rows, { bias: false });
    // MB: class c's scorer is column c of a [D_inner, C] matrix applied to
    // the feature pooled by row c (the diagonal of pooled · W).
    this.#bagClassifier = scope.linear(
      "classifier",
      innerDim,
      numClasses,
    );
    this.#instanceClassifiers = Array.from(
      { length: numClasses },
      (_, c) => scope.linear(`instance_classifiers.${c}`, innerDim, 2),
    );
  }

  protected override lossOf(pass: ClamPass, label: number): LossParts {
    const ce = crossEntropy(pass.logits, label);
    const instance = this.#instanceLoss(pass.attention, pass.h, label);
    const w = this.options.bagWeight;
    const total = tf.add(tf.mul(ce, w), tf.mul(instance, 1 - w)) as tf.Scalar;
    return { total, parts: { ce, instance } };
  }

  protected override pass(
    features: tf.Tensor2D,
    options: ForwardOptions,
  ): ClamPass {
    const rate = this.options.dropout;
    const h = dropout(
      applyLinear(features, this.#reduce, "relu"),
      rate,
      options,
    );
    const gate = tf.mul(
      dropout(tf.tanh(applyLinear(h, this.#v)), rate, options),
      dropout(tf.sigmoid(applyLinear(h, this.#u)), rate, options),
    ) as tf.Tensor2D;
    const attention = tf.transpose(applyLinear(gate, this.#w)) as tf.Tensor2D;
    const pooled = tf.matMul(tf.softmax(attention, -1), h) as tf.Tensor2D;
    const all = applyLinear(pooled, this.#bagClassifier); // [rows, C]
    const logits = (this.variant === "sb" ? tf.reshape(all, [-1]) : tf.sum(
      tf.mul(all, tf.eye(this.options.numClasses)),
      0,
    )) as tf.Tensor1D;
    return { logits, attention, h };
  }

  #instanceLoss(
    attention: tf.Tensor2D,
    h: tf.Tensor2D,
    label: number,
  ): tf.Scalar {
    const { numClasses, kSample, subtyping } = this.options;
    const row = (c: number) =>
      tf.reshape(
        tf.slice(attention, [this.variant === "sb" ? 0 : c, 0], [1, -1]),
        [-1],
      ) as tf.Tensor1D;
    const losses: tf.Scalar[] = [];
    for (let c = 0; c < numClasses; c++) {
      if (c !== label && !subtyping) continue;
      losses.push(
        clamInstanceLoss(
          row(c),
          h,
          this.#instanceClassifiers[c] as LinearParams,
          kSample,
          c === label ? "in-class" : "out-of-class",
        ),
      );
    }
    const sum = tf.addN(losses) as tf.Scalar;
    return (subtyping ? tf.div(sum, numClasses) : sum) as tf.Scalar;
  }
}

/** The options of `clam_sb` and `clam_mb` and their ranges. */
const CLAM_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  innerDim: INNER_DIM_OPTION,
  attentionDim: {
    about: "hidden width of the gated attention",
    type: "integer",
    min: 1,
    derivedDefault: "innerDim/2",
  },
  dropout: {
    about: "dropout after the reduction and in the attention branches",
    type: "number",
    min: 0,
    max: 1,
    maxExclusive: true,
  },
  kSample: {
    about: "instances per pseudo-label set (top-k and bottom-k), clamped to N",
    type: "integer",
    min: 1,
  },
  bagWeight: {
    about: "weight w of the slide loss (the instance loss gets 1 − w)",
    type: "number",
    min: 0,
    max: 1,
  },
  subtyping: {
    about: "out-of-class instance losses too (subtyping problems)",
    type: "boolean",
    derivedDefault: "numClasses > 2",
  },
};

registerModel({
  name: "clam_sb",
  description:
    "CLAM-SB (Lu 2021): gated attention, one branch, top/bottom-k instance clustering loss",
  defaults: CLAM_DEFAULTS,
  options: CLAM_OPTIONS,
  factory: (options) => new Clam(options, "sb"),
});

registerModel({
  name: "clam_mb",
  description:
    "CLAM-MB (Lu 2021): gated attention with one branch per class, instance clustering loss",
  defaults: CLAM_DEFAULTS,
  options: CLAM_OPTIONS,
  factory: (options) => new Clam(options, "mb"),
});
