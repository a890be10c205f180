/**
 * What the attention-MIL models here share, so each model file holds only
 * its architecture: the resolved options, the variables of one
 * `ParamScope`, `forward` and `loss` on one pass of the model (the bag
 * checked, the label checked, intermediate tensors released), the slide
 * cross-entropy as the default loss, and option checks driven by the
 * ranges a model declares to the registry.
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
import type { ModelOptionSpec } from "./registry.ts";
import { checkBag } from "./bag_check.ts";
import { checkLabel, crossEntropy } from "./abmil_loss.ts";
import { ParamScope } from "./weights_scope.ts";
import { checkIntegerOption } from "./layers/options.ts";

/** A model's options with every default filled in. */
export type Resolved<O extends ModelOptions> = Required<O> & { seed: number };

/** A loss without the pass's outputs: its total and its named parts. */
export interface LossParts {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
}

/**
 * A model whose `forward` and `loss` share one pass: subclasses create
 * their variables in {@link scope}, implement {@link pass} and, when their
 * loss is more than the slide cross-entropy, {@link lossOf}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MilBase } from "./mil_base.ts";
 * import type { ForwardOutput, ModelOptions } from "./mil_model.ts";
 * import { applyLinear, type LinearParams } from "./weights_scope.ts";
 *
 * // Mean pooling with a linear classifier: uniform attention.
 * class MeanPool extends MilBase<ModelOptions> {
 *   #classifier: LinearParams;
 *   constructor(options: ModelOptions) {
 *     super("mean_pool", { seed: 0, ...options });
 *     this.#classifier = this.scope.linear("classifier", options.inputDim, options.numClasses);
 *   }
 *   protected override pass(features: tf.Tensor2D): ForwardOutput {
 *     const logits = tf.reshape(applyLinear(tf.mean(features, 0, true) as tf.Tensor2D, this.#classifier), [-1]);
 *     return { logits: logits as tf.Tensor1D, attention: tf.zeros([1, features.shape[0]]) };
 *   }
 * }
 * const model = new MeanPool({ inputDim: 4, numClasses: 2 });
 * const { total, parts } = model.loss(tf.ones([3, 4]), 1, { training: false });
 * if (total !== parts.ce) throw new Error("the default loss is the slide cross-entropy");
 * model.dispose();
 * ```
 */
export abstract class MilBase<
  O extends ModelOptions,
  P extends ForwardOutput = ForwardOutput,
> implements MilModel {
  readonly name: string;
  readonly options: Readonly<Resolved<O>>;
  readonly attentionNormalisation = "softmax" as const;
  /** Where the subclass creates its variables (named after the model). */
  protected readonly scope: ParamScope;

  /** A model `name` with resolved, checked `options` (seed included). */
  constructor(name: string, options: Resolved<O>) {
    this.name = name;
    this.options = options;
    this.scope = new ParamScope(name, options.seed);
  }

  /** The slide logits and attention of {@link pass}, the rest released. */
  forward(features: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    checkBag(features, this.options.inputDim);
    return tf.tidy(() => {
      const { logits, attention } = this.pass(features, options);
      return { logits, attention };
    });
  }

  /** {@link pass} and {@link lossOf} for a checked label and bag. */
  loss(
    features: tf.Tensor2D,
    label: number,
    options: ForwardOptions,
  ): LossOutput {
    checkLabel(label, this.options.numClasses);
    checkBag(features, this.options.inputDim);
    return tf.tidy(() => {
      const pass = this.pass(features, options);
      const { total, parts } = this.lossOf(pass, label);
      return { logits: pass.logits, attention: pass.attention, total, parts };
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.scope.variables();
  }

  dispose(): void {
    this.scope.dispose();
  }

  /**
   * One pass over a bag already checked, inside `tf.tidy`: the outputs and
   * whatever {@link lossOf} needs.
   */
  protected abstract pass(features: tf.Tensor2D, options: ForwardOptions): P;

  /** The loss of a pass for `label`; by default the slide cross-entropy. */
  protected lossOf(pass: P, label: number): LossParts {
    const ce = crossEntropy(pass.logits, label);
    return { total: ce, parts: { ce } };
  }
}

/**
 * Throws unless `options` has an integer `inputDim` ≥ 1, an integer
 * `numClasses` ≥ 2 and every option in `specs` within its declared type and
 * range; the message names `model` (as users know it, e.g. `CLAM-SB`), the
 * option, the range and the value. Bounds a spec states only in words
 * (`also`) are the model's to check.
 *
 * @example
 * ```ts
 * import { checkModelOptions } from "./mil_base.ts";
 * const specs = { dropout: { about: "", type: "number", min: 0, max: 1, maxExclusive: true } } as const;
 * checkModelOptions("Demo", { inputDim: 8, numClasses: 2, dropout: 0.1 }, specs);
 * try {
 *   checkModelOptions("Demo", { inputDim: 8, numClasses: 2, dropout: 1 }, specs);
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!String(e).includes("Demo option dropout must be in [0, 1): current value is 1")) throw e;
 * }
 * ```
 */
export function checkModelOptions(
  model: string,
  options: Readonly<Record<string, unknown>>,
  specs: Readonly<Record<string, ModelOptionSpec>>,
): void {
  checkIntegerOption(model, "inputDim", options.inputDim, 1);
  checkIntegerOption(model, "numClasses", options.numClasses, 2);
  for (const [key, spec] of Object.entries(specs)) {
    const value = options[key];
    const { min = -Infinity, max = Infinity, maxExclusive = false } = spec;
    if (spec.type === "integer") {
      checkIntegerOption(model, key, value, min, maxExclusive ? max - 1 : max);
    } else if (spec.type === "boolean") {
      if (typeof value !== "boolean") {
        throw new TypeError(
          `${model} option ${key} must be a boolean: current value is ${value}`,
        );
      }
    } else if (
      typeof value !== "number" || Number.isNaN(value) || value < min ||
      (maxExclusive ? value >= max : value > max)
    ) {
      throw new RangeError(
        `${model} option ${key} must be ${
          numberRange(spec)
        }: current value is ${value}`,
      );
    }
  }
}

/** `in [0, 1)`, `≥ 0`, or `a number`. */
function numberRange({ min, max, maxExclusive }: ModelOptionSpec): string {
  if (min !== undefined && max !== undefined) {
    return `in [${min}, ${max}${maxExclusive ? ")" : "]"}`;
  }
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return `${maxExclusive ? "<" : "≤"} ${max}`;
  return "a number";
}
