/**
 * ACMIL's diversity term: the mean cosine similarity over all pairs of
 * branch attention distributions (0 for a single branch).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * `mean_{i<j} cos(a_i, a_j)` over the rows of `rows [K, N]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { meanPairwiseCosine } from "./pairwise_cosine.ts";
 * const c = meanPairwiseCosine(tf.tensor2d([[1, 0], [0, 1], [1, 0]]));
 * if (Math.abs((c.dataSync()[0] ?? 0) - 1 / 3) > 1e-6) throw new Error("one of three pairs alike");
 * ```
 */
export function meanPairwiseCosine(rows: tf.Tensor2D): tf.Scalar {
  const k = rows.shape[0];
  if (k < 2) return tf.scalar(0);
  return tf.tidy(() => {
    const unit = tf.div(
      rows,
      tf.maximum(tf.norm(rows, 2, -1, true), 1e-8),
    ) as tf.Tensor2D;
    const gram = tf.matMul(unit, unit, false, true);
    const offDiagonal = tf.sub(tf.sum(gram), tf.sum(tf.mul(gram, tf.eye(k))));
    return tf.div(offDiagonal, k * (k - 1)) as tf.Scalar;
  });
}
