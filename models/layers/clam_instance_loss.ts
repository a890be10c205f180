/**
 * CLAM's instance-level clustering loss (Lu et al. 2021): the k instances a
 * class's attention ranks highest and the k it ranks lowest get pseudo
 * labels for that class's binary instance classifier. For the slide's own
 * class ("in-class") the top-k are positives (1) and the bottom-k negatives
 * (0); for another class ("out-of-class", subtyping problems only) the top-k
 * are negatives. The selection is by index, so no gradient reaches the
 * attention through it: only the instance classifiers and the features
 * they read are trained by this loss.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { applyLinear, type LinearParams } from "../weights_scope.ts";
import { selectRows, topIndices } from "./select_rows.ts";

/** Which pseudo labels a class's instance classifier gets. */
export type InstanceRole = "in-class" | "out-of-class";

/**
 * Mean cross-entropy of `classifier` (d → 2 logits) on the instances
 * selected by `scores [N]`: in-class, top-k → 1 and bottom-k → 0;
 * out-of-class, top-k → 0. `k` is clamped to N (so with N < 2k the top and
 * bottom sets overlap, as they must when there are fewer instances than
 * pseudo labels).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { clamInstanceLoss } from "./clam_instance_loss.ts";
 * // Feature = score; a classifier whose class-1 logit grows with it.
 * const scores = tf.tensor1d([3, -2, 1, -1]);
 * const h = tf.reshape(scores, [4, 1]) as tf.Tensor2D;
 * const classifier = { w: tf.variable(tf.tensor2d([[-20, 20]])) };
 * const loss = clamInstanceLoss(scores, h, classifier, 2, "in-class");
 * if (loss.dataSync()[0]! > 1e-6) throw new Error("a perfect classifier costs ≈ 0");
 * ```
 */
export function clamInstanceLoss(
  scores: tf.Tensor1D,
  h: tf.Tensor2D,
  classifier: LinearParams,
  k: number,
  role: InstanceRole,
): tf.Scalar {
  const n = scores.shape[0];
  if (h.shape[0] !== n) {
    throw new RangeError(
      `clamInstanceLoss() expects one score per instance: got ${n} scores for ${
        h.shape[0]
      } instances`,
    );
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(
      `clamInstanceLoss() expects k to be an integer ≥ 1: current value is ${k}`,
    );
  }
  const kk = Math.min(k, n);
  // Ranked outside the graph: the selection has no gradient.
  const values = scores.dataSync() as Float32Array;
  const top = topIndices(values, kk);
  return tf.tidy(() => {
    if (role === "out-of-class") {
      const logits = applyLinear(selectRows(h, top), classifier);
      return ce(logits, new Int32Array(kk));
    }
    const bottom = topIndices(values.map((v) => -v), kk);
    const logits = applyLinear(selectRows(h, [...top, ...bottom]), classifier);
    const targets = new Int32Array(2 * kk).fill(1, 0, kk);
    return ce(logits, targets);
  });
}

/** Mean cross-entropy of binary `logits [M, 2]` against `targets` (0/1). */
function ce(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const oneHot = tf.tensor2d(
    Float32Array.from(
      { length: targets.length * 2 },
      (_, j) => (j & 1) === targets[j >> 1] ? 1 : 0,
    ),
    [targets.length, 2],
  );
  return tf.neg(
    tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits, -1)), -1)),
  ) as tf.Scalar;
}
