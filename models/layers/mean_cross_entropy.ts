/**
 * Mean cross-entropy of several heads' logits against one slide label
 * (per-token classifiers of ASMIL, per-branch classifiers of ACMIL).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * `mean_k −log softmax(logits_k)[label]` for `logits [K, C]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { meanCrossEntropy } from "./mean_cross_entropy.ts";
 * const ce = meanCrossEntropy(tf.zeros([3, 2]), 1).dataSync()[0] ?? 0;
 * if (Math.abs(ce - Math.LN2) > 1e-6) throw new Error("uniform logits give ln 2");
 * ```
 */
export function meanCrossEntropy(
  logits: tf.Tensor2D,
  label: number,
): tf.Scalar {
  const classes = logits.shape[1];
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new RangeError(
      `meanCrossEntropy() expects a label in [0, ${classes}): got ${label}`,
    );
  }
  return tf.tidy(() =>
    tf.neg(tf.mean(tf.slice(tf.logSoftmax(logits, -1), [0, label], [-1, 1])))
  );
}
