/**
 * Gated attention scores with K branches (Ilse et al. 2018, as used by
 * ACMIL): `w(tanh(V h) ⊙ σ(U h))` gives one score per instance and branch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  applyLinear,
  type LinearParams,
  type ParamScope,
} from "../weights_scope.ts";

/**
 * K-branch gated attention; `scores(h [N, D])` returns `[K, N]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { GatedAttention } from "./gated_attention.ts";
 * import { ParamScope } from "../weights_scope.ts";
 * const scope = new ParamScope("demo_gated", 1);
 * const attention = new GatedAttention(scope, "attention", 8, 4, 3);
 * if (attention.scores(tf.ones([5, 8])).shape.join() !== "3,5") throw new Error();
 * scope.dispose();
 * ```
 */
export class GatedAttention {
  #v: LinearParams;
  #u: LinearParams;
  #w: LinearParams;

  /** Creates `<local>.v`, `<local>.u` (D → hidden) and `<local>.w` (hidden → K, no bias). */
  constructor(
    scope: ParamScope,
    local: string,
    dim: number,
    hidden: number,
    branches: number,
  ) {
    this.#v = scope.linear(`${local}.v`, dim, hidden);
    this.#u = scope.linear(`${local}.u`, dim, hidden);
    // No bias: a per-branch constant does not change the softmax over the
    // instances, so it would never get a gradient.
    this.#w = scope.linear(`${local}.w`, hidden, branches, { bias: false });
  }

  /** Pre-softmax scores `[K, N]` of the instances `h [N, D]`. */
  scores(h: tf.Tensor2D): tf.Tensor2D {
    const gated = tf.mul(
      tf.tanh(applyLinear(h, this.#v)),
      tf.sigmoid(applyLinear(h, this.#u)),
    ) as tf.Tensor2D;
    return tf.transpose(applyLinear(gated, this.#w)) as tf.Tensor2D;
  }
}
