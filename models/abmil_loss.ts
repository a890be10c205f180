/**
 * The slide label check and the slide-level cross-entropy every model's
 * loss starts from (see mil_base.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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
