/**
 * The anchor's attention target: the normalized sigmoid of its scores
 * (the method) or their softmax, both at temperature τ, optionally sharpened — by a temperature on the target,
 * p ← p^{1/T}/Σ p^{1/T}, and/or by a contrast relative to uniform,
 * p ← max(u + c·(p − u), 0)/Σ with u = 1/N. Both off (T = c = 1) by default.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { normalizedSigmoid } from "./normalized_sigmoid.ts";

/** How the target is made from the anchor's scores. */
export interface AnchorTargetOptions {
  /** Temperature τ of the normalized sigmoid (or softmax). */
  tau: number;
  /** `"sigmoid"` (default, the method) or `"softmax"`: p = softmax(z/τ). */
  target?: "sigmoid" | "softmax";
  /** Target temperature T (1: off). */
  targetTemperature?: number;
  /** Contrast c relative to uniform (1: off). */
  targetContrast?: number;
}

/**
 * The target distribution `[heads, N]` (rows sum to 1) from anchor scores
 * `[heads, N]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { anchorTarget } from "./anchor_target.ts";
 * // Contrast 2 doubles each entry's deviation from uniform (1/2 here).
 * const p = anchorTarget(tf.tensor2d([[Math.log(3 / 7), 0]]), { tau: 1 });
 * const s = anchorTarget(tf.tensor2d([[Math.log(3 / 7), 0]]), { tau: 1, targetContrast: 2 });
 * const [a, b] = p.dataSync(), [c] = s.dataSync();
 * if (Math.abs(c! - (0.5 + 2 * (a! - 0.5))) > 1e-6 || !(b! > a!)) throw new Error();
 * ```
 */
export function anchorTarget(
  scores: tf.Tensor2D,
  options: AnchorTargetOptions,
): tf.Tensor2D {
  const temperature = options.targetTemperature ?? 1;
  const contrast = options.targetContrast ?? 1;
  return tf.tidy(() => {
    let p = options.target === "softmax"
      ? tf.softmax(tf.div(scores, options.tau), -1) as tf.Tensor2D
      : normalizedSigmoid(scores, options.tau);
    if (temperature !== 1) {
      // p^{1/T} normalised = softmax(log p / T); log of p ≥ 0 with +1e-30.
      p = tf.softmax(tf.div(tf.log(tf.add(p, 1e-30)), temperature), -1);
    }
    if (contrast !== 1) {
      const n = scores.shape[1];
      const u = 1 / n;
      const shifted = tf.relu(tf.add(tf.mul(tf.sub(p, u), contrast), u));
      p = tf.div(shifted, tf.sum(shifted, -1, true));
    }
    return p;
  });
}
