/**
 * The ASMIL anchor loss: the cross-entropy from the anchor's
 * normalized-sigmoid attention to the online model's attention
 * distribution, `L = −mean_{heads, instances} p_anchor · log q_online`
 * (a mean over N too, so it scales as 1/N).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { normalizedSigmoid } from "./normalized_sigmoid.ts";

/** How the anchor loss reads the two attentions. */
export interface AnchorLossOptions {
  /** Temperature τ of the anchor's normalized sigmoid. */
  tau: number;
  /**
   * How the online model normalises its scores: `"softmax"` gives
   * `log q = log_softmax(z)`; `"sigmoid"` gives `log(σ(z)/Σσ(z) + 1e-8)`.
   */
  onlineNormalisation: "softmax" | "sigmoid";
}

/**
 * `−mean(p_anchor · log q_online)` over `[heads, N]` scores of equal shape.
 * The anchor scores are a constant target: no gradient flows into them.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { anchorLoss } from "./anchor_loss.ts";
 * const z = tf.tensor2d([[0, 0, 0, 0]]);
 * const loss = anchorLoss(z, z, { tau: 0.5, onlineNormalisation: "softmax" });
 * // p = q = uniform over 4: −mean(¼ · log ¼) = ln 4 / 4
 * if (Math.abs((loss.dataSync()[0] ?? 0) - Math.log(4) / 4) > 1e-6) throw new Error();
 * ```
 */
export function anchorLoss(
  anchorScores: tf.Tensor2D,
  onlineScores: tf.Tensor2D,
  options: AnchorLossOptions,
): tf.Scalar {
  if (anchorScores.shape.join() !== onlineScores.shape.join()) {
    throw new RangeError(
      `anchorLoss() expects anchor and online scores of one shape [heads, N]: got [${anchorScores.shape}] and [${onlineScores.shape}]`,
    );
  }
  return tf.tidy(() => {
    const target = normalizedSigmoid(anchorScores, options.tau);
    const logQ = options.onlineNormalisation === "softmax"
      ? tf.logSoftmax(onlineScores, -1)
      : tf.log(tf.add(normalizedSigmoid(onlineScores, 1), 1e-8));
    return tf.neg(tf.mean(tf.mul(target, logQ))) as tf.Scalar;
  });
}
