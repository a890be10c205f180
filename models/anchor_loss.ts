/**
 * The ASMIL anchor loss: by default the cross-entropy from the anchor's
 * normalized-sigmoid attention to the online model's attention
 * distribution, `L = −mean_{heads, instances} p_anchor · log q_online`
 * (a mean over N too, so it scales as 1/N). Variants (anchor_options.ts):
 * the divergence (`form`: ce, kl, reverse-kl, js), the reduction over
 * instances (`reduction`: mean, sum, normalised by ln N) and a sharpened
 * target (anchor_target.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { normalizedSigmoid } from "./normalized_sigmoid.ts";
import { anchorTarget } from "./anchor_target.ts";
import type { AnchorOptions } from "./anchor_options.ts";

/** The eps inside logs of the target and of the JS mixture (as the stability metric). */
export const ANCHOR_LOG_EPS = 1e-8;

/** How the anchor loss reads the two attentions. */
export interface AnchorLossOptions extends
  Partial<
    Pick<
      AnchorOptions,
      "form" | "reduction" | "target" | "targetTemperature" | "targetContrast"
    >
  > {
  /** Temperature τ of the anchor's normalized sigmoid. */
  tau: number;
  /**
   * How the online model normalises its scores: `"softmax"` gives
   * `log q = log_softmax(z)`; `"sigmoid"` gives `log(σ(z)/Σσ(z) + 1e-8)`.
   */
  onlineNormalisation: "softmax" | "sigmoid";
}

/**
 * The anchor loss over `[heads, N]` scores of equal shape (defaults: ce,
 * mean, no sharpening: `−mean(p_anchor · log q_online)`). The anchor
 * scores are a constant target: no gradient flows into them.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { anchorLoss } from "./anchor_loss.ts";
 * const z = tf.tensor2d([[0, 0, 0, 0]]);
 * const loss = anchorLoss(z, z, { tau: 0.5, onlineNormalisation: "softmax" });
 * // p = q = uniform over 4: −mean(¼ · log ¼) = ln 4 / 4
 * if (Math.abs((loss.dataSync()[0] ?? 0) - Math.log(4) / 4) > 1e-6) throw new Error();
 * const sum = anchorLoss(z, z, { tau: 0.5, onlineNormalisation: "softmax", reduction: "normalised" });
 * // summed over instances (ln 4), divided by ln N = ln 4
 * if (Math.abs((sum.dataSync()[0] ?? 0) - 1) > 1e-6) throw new Error();
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
  const form = options.form ?? "ce";
  const reduction = options.reduction ?? "mean";
  return tf.tidy(() => {
    const target = anchorTarget(anchorScores, options);
    const logQ: tf.Tensor2D = options.onlineNormalisation === "softmax"
      ? tf.logSoftmax(onlineScores, -1)
      : tf.log(tf.add(normalizedSigmoid(onlineScores, 1), ANCHOR_LOG_EPS));
    if (form === "ce" && reduction === "mean") {
      // The method, op for op.
      return tf.neg(tf.mean(tf.mul(target, logQ))) as tf.Scalar;
    }
    const terms = divergenceTerms(form, target, logQ);
    if (reduction === "mean") return tf.mean(terms) as tf.Scalar;
    const perHead = tf.sum(terms, -1);
    const n = anchorScores.shape[1];
    const scale = reduction === "sum" ? 1 : 1 / Math.log(Math.max(n, 2));
    return tf.mul(tf.mean(perHead), scale) as tf.Scalar;
  });
}

/** Per-instance terms `[heads, N]` of the divergence `form` from p to q. */
function divergenceTerms(
  form: NonNullable<AnchorLossOptions["form"]>,
  p: tf.Tensor2D,
  logQ: tf.Tensor2D,
): tf.Tensor2D {
  const logP = () => tf.log(tf.add(p, ANCHOR_LOG_EPS));
  switch (form) {
    case "ce":
      return tf.neg(tf.mul(p, logQ));
    case "kl":
      return tf.mul(p, tf.sub(logP(), logQ));
    case "reverse-kl":
      return tf.mul(tf.exp(logQ), tf.sub(logQ, logP()));
    case "js": {
      const q = tf.exp(logQ);
      const logM = tf.log(tf.add(tf.mul(tf.add(p, q), 0.5), ANCHOR_LOG_EPS));
      const logQe = tf.log(tf.add(q, ANCHOR_LOG_EPS));
      return tf.mul(
        tf.add(tf.mul(p, tf.sub(logP(), logM)), tf.mul(q, tf.sub(logQe, logM))),
        0.5,
      );
    }
    default:
      throw new RangeError(
        `Anchor option form must be "ce", "kl", "reverse-kl" or "js": current value is ${
          JSON.stringify(form)
        }`,
      );
  }
}
