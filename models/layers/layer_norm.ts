/**
 * Layer normalisation over the feature axis with one learnable scale and
 * shift per row group (one per token when tokens have their own LayerNorm).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamScope } from "../weights_scope.ts";

/**
 * `(x − mean) / √(var + eps) · γ_g + β_g` for each row g of `x [G, D]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { LayerNorm } from "./layer_norm.ts";
 * import { ParamScope } from "../weights_scope.ts";
 * const scope = new ParamScope("demo_ln", 1);
 * const ln = new LayerNorm(scope, "ln", 2, 4);
 * const y = ln.apply(tf.tensor2d([[1, 2, 3, 4], [0, 0, 0, 8]]));
 * if (Math.abs(y.mean().dataSync()[0] ?? 1) > 1e-5) throw new Error("centred");
 * scope.dispose();
 * ```
 */
export class LayerNorm {
  /** `[G, D]`, initialised to ones. */
  readonly gamma: tf.Variable;
  /** `[G, D]`, initialised to zeros. */
  readonly beta: tf.Variable;
  readonly eps: number;

  /** Creates `<local>.gamma` and `<local>.beta`, both `[G, D]`. */
  constructor(
    scope: ParamScope,
    local: string,
    groups: number,
    dim: number,
    eps = 1e-6,
  ) {
    const size = groups * dim;
    this.gamma = scope.variable(
      `${local}.gamma`,
      [groups, dim],
      new Float32Array(size).fill(1),
    );
    this.beta = scope.variable(
      `${local}.beta`,
      [groups, dim],
      new Float32Array(size),
    );
    this.eps = eps;
  }

  /** Normalises `x [G, D]` row-wise with group g's γ/β on row g. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(
      tf.sub(x, mean),
      tf.sqrt(tf.add(variance, this.eps)),
    );
    return tf.add(tf.mul(normed, this.gamma), this.beta) as tf.Tensor2D;
  }
}
