/**
 * The slide-level cross-entropy shared by the ABMIL family, and the
 * forward/loss shapes several models share.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  ForwardOptions,
  ForwardOutput,
  LossOutput,
  MilModel,
} from "./mil_model.ts";

/**
 * Throws unless `label` is a class index in `[0, numClasses)`.
 *
 * @example
 * ```ts
 * import { checkLabel } from "./abmil_loss.ts";
 * checkLabel(1, 2);
 * ```
 */
export function checkLabel(label: number, numClasses: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new RangeError(
      `Slide label must be a class index in [0, ${numClasses}): got ${label}`,
    );
  }
}

/**
 * Cross-entropy of slide `logits` `[C]` against class `label`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { crossEntropy } from "./abmil_loss.ts";
 * const ce = crossEntropy(tf.tensor1d([0, 0]), 1).dataSync()[0]!;
 * if (Math.abs(ce - Math.LN2) > 1e-6) throw new Error("uniform logits give ln 2");
 * ```
 */
export function crossEntropy(logits: tf.Tensor1D, label: number): tf.Scalar {
  return tf.tidy(() =>
    tf.neg(tf.squeeze(tf.slice(tf.logSoftmax(logits), [label], [1])))
  );
}

/**
 * The loss of a model trained on the slide cross-entropy alone (ABMIL,
 * TransMIL): its forward pass, `total = parts.ce`.
 *
 * @example
 * ```ts ignore
 * loss(features, label, options) { return crossEntropyLoss(this, features, label, options); }
 * ```
 */
export function crossEntropyLoss(
  model: Pick<MilModel, "forward" | "options">,
  features: tf.Tensor2D,
  label: number,
  options: ForwardOptions,
): LossOutput {
  checkLabel(label, model.options.numClasses);
  return tf.tidy(() => {
    const { logits, attention } = model.forward(features, options);
    const ce = crossEntropy(logits, label);
    return { logits, attention, total: ce, parts: { ce } };
  });
}

/**
 * `{logits, attention}` of a pass that returns more (intermediate tensors a
 * model's loss needs), the rest disposed: a `forward` built on the pass
 * its `loss` uses.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { forwardOutput } from "./abmil_loss.ts";
 * const out = forwardOutput(() => ({
 *   logits: tf.tensor1d([0, 1]),
 *   attention: tf.ones([1, 3]) as tf.Tensor2D,
 *   hidden: tf.zeros([3, 4]),
 * }));
 * if (out.logits.shape[0] !== 2) throw new Error();
 * ```
 */
export function forwardOutput(
  pass: () => ForwardOutput & Record<string, unknown>,
): ForwardOutput {
  return tf.tidy(() => {
    const { logits, attention } = pass();
    return { logits, attention };
  });
}
