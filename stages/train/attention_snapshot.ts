/**
 * Turns a model's attention scores into the distributions stored as
 * attention history: per head, normalised over the instances the way the
 * model pools with, and their mean.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MilModel } from "../../models/mil_model.ts";

/** One slide's attention at one moment. */
export interface AttentionSnapshot {
  /** Mean over heads of the per-head distributions; sums to 1. */
  mean: Float32Array;
  /** Per-head distributions (only when there is more than one head). */
  heads?: Float32Array[];
}

/**
 * Normalises `scores` `[heads, N]` per head (softmax, or σ(z)/Σσ(z) for
 * sigmoid-pooling models) and averages the heads.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { attentionSnapshot } from "./attention_snapshot.ts";
 * const s = attentionSnapshot(tf.tensor2d([[0, 0], [Math.log(3), 0]]), "softmax");
 * if (Math.abs(s.mean[0]! - 0.625) > 1e-6) throw new Error();
 * ```
 */
export function attentionSnapshot(
  scores: tf.Tensor2D,
  normalisation: MilModel["attentionNormalisation"],
): AttentionSnapshot {
  const [heads, n] = scores.shape;
  const dist = tf.tidy(() => {
    if (normalisation === "softmax") return tf.softmax(scores, -1);
    const s = tf.sigmoid(scores);
    return s.div(s.sum(-1, true));
  });
  const values = dist.dataSync() as Float32Array;
  dist.dispose();
  const mean = new Float32Array(n);
  const perHead: Float32Array[] = [];
  for (let h = 0; h < heads; h++) {
    const row = values.slice(h * n, (h + 1) * n);
    perHead.push(row);
    for (let i = 0; i < n; i++) {
      mean[i] = (mean[i] as number) + (row[i] as number) / heads;
    }
  }
  return heads > 1 ? { mean, heads: perHead } : { mean };
}
