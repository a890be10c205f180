/**
 * The normalized sigmoid ASMIL uses for the anchor's attention target:
 * `p_i = σ(z_i/τ) / (Σ_j σ(z_j/τ) + 1e-8)` over the instances (last axis).
 *
 * Why not softmax: softmax gives `p_max/p_min = e^{(z_max − z_min)/τ}`,
 * unbounded in the score range. The sigmoid saturates: for x > y,
 * `σ(x)/σ(y) = (1 + e^{−y})/(1 + e^{−x}) ≤ min(e^{x−y}, 1/σ(y))`
 * (the first because `1 + e^{−y} ≤ e^{x−y}(1 + e^{−x}) = e^{x−y} + e^{−y}`,
 * the second because σ(x) < 1). Hence for every row
 * `p_max/p_min ≤ min(e^{(z_max − z_min)/τ}, 1 + e^{−z_min/τ})`: never more
 * peaked than softmax, and at most 2:1 when all scores are ≥ 0.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Added to the denominator, as in the method. */
export const NORMALIZED_SIGMOID_EPS = 1e-8;

/**
 * Normalized sigmoid of `scores [..., N]` over the last axis with
 * temperature `tau`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { normalizedSigmoid } from "./normalized_sigmoid.ts";
 * const p = normalizedSigmoid(tf.tensor2d([[4, 0, -4]]), 0.5);
 * const sum = p.sum().dataSync()[0] ?? 0;
 * if (Math.abs(sum - 1) > 1e-6) throw new Error("rows sum to one");
 * ```
 */
export function normalizedSigmoid<T extends tf.Tensor>(
  scores: T,
  tau: number,
): T {
  if (!(tau > 0) || !Number.isFinite(tau)) {
    throw new RangeError(
      `normalizedSigmoid() expects a positive finite temperature: current value is ${tau}`,
    );
  }
  return tf.tidy(() => {
    const s = tf.sigmoid(tf.div(scores, tau));
    return tf.div(
      s,
      tf.add(tf.sum(s, -1, true), NORMALIZED_SIGMOID_EPS),
    ) as T;
  });
}

/**
 * The bound on `p_max/p_min` of one row of scores stated above:
 * `min(e^{(z_max − z_min)/τ}, 1 + e^{−z_min/τ})`.
 *
 * @example
 * ```ts
 * import { normalizedSigmoidRatioBound } from "./normalized_sigmoid.ts";
 * if (normalizedSigmoidRatioBound([0, 10], 0.5) !== 2) throw new Error("2:1 for z ≥ 0");
 * ```
 */
export function normalizedSigmoidRatioBound(
  scores: ArrayLike<number>,
  tau: number,
): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const z = scores[i] as number;
    lo = Math.min(lo, z);
    hi = Math.max(hi, z);
  }
  return Math.min(Math.exp((hi - lo) / tau), 1 + Math.exp(-lo / tau));
}
