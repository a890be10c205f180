/**
 * Nyström self-attention (Xiong et al. 2021), the attention of TransMIL:
 * softmax(Q Kᵀ) V ≈ softmax(Q K̃ᵀ) · pinv(softmax(Q̃ K̃ᵀ)) · softmax(Q̃ Kᵀ) V
 * with m landmarks Q̃, K̃ (means of m contiguous segments of the sequence)
 * and the Moore–Penrose pseudo-inverse approximated by the iteration
 * Z ← ¼ Z (13I − AZ(15I − AZ(7I − AZ))), Z₀ = Aᵀ / (max row-sum · max
 * column-sum of |A|). Cost and memory are O(L·m) for L tokens, never
 * O(L²). Segments are ⌈L/m⌉ long (the last may be shorter; its mean is
 * over its own tokens), so no padding tokens take part in the attention;
 * with L ≤ m every token is its own landmark. As in the reference layer, a
 * depthwise convolution (kernel 33 along the sequence, one weight per head
 * and tap) of V is added to the output.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardOptions } from "../mil_model.ts";
import {
  applyLinear,
  type LinearParams,
  type ParamScope,
} from "../weights_scope.ts";
import { dropout } from "./dropout.ts";
import { depthwiseConvSame } from "./depthwise_conv.ts";

/**
 * Approximate pseudo-inverse of each `a [B, m, m]` by `iterations` steps
 * of the Moore–Penrose iteration above (the scale of Z₀ is taken over the
 * whole batch, as in the reference).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { iterativePinv } from "./nystrom_attention.ts";
 * const a = tf.tensor3d([[[2, 1], [1, 3]]]);
 * const err = tf.matMul(a, iterativePinv(a, 6)).sub(tf.eye(2)).abs().max().dataSync()[0]!;
 * if (err > 1e-4) throw new Error(`A·pinv(A) ≈ I: ${err}`);
 * ```
 */
export function iterativePinv(a: tf.Tensor3D, iterations: number): tf.Tensor3D {
  return tf.tidy(() => {
    const m = a.shape[1];
    const abs = tf.abs(a);
    const scale = tf.mul(tf.max(tf.sum(abs, -1)), tf.max(tf.sum(abs, -2)));
    let z = tf.div(tf.transpose(a, [0, 2, 1]), scale) as tf.Tensor3D;
    const eye = tf.eye(m);
    for (let i = 0; i < iterations; i++) {
      const az = tf.matMul(a, z);
      const inner = tf.sub(tf.mul(eye, 7), az);
      const middle = tf.sub(tf.mul(eye, 15), tf.matMul(az, inner));
      const outer = tf.sub(tf.mul(eye, 13), tf.matMul(az, middle));
      z = tf.mul(tf.matMul(z, outer), 0.25) as tf.Tensor3D;
    }
    return z;
  });
}

/**
 * Means of `landmarks` contiguous segments of `x [B, L, d]` along L
 * (segments ⌈L/m⌉ long, fewer when they cover L sooner): `[B, m', d]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { segmentMeans } from "./nystrom_attention.ts";
 * const x = tf.tensor3d([[[1], [3], [5], [7], [9]]]);
 * // L = 5, m = 2: segments [1, 3, 5] and [7, 9].
 * if (segmentMeans(x, 2).dataSync().join() !== "3,8") throw new Error();
 * ```
 */
export function segmentMeans(x: tf.Tensor3D, landmarks: number): tf.Tensor3D {
  const [b, l, d] = x.shape;
  const size = Math.ceil(l / Math.min(landmarks, l));
  const count = Math.ceil(l / size);
  return tf.tidy(() => {
    const padded = tf.pad(x, [[0, 0], [0, count * size - l], [0, 0]]);
    const sums = tf.sum(tf.reshape(padded, [b, count, size, d]), 2);
    const counts = Float32Array.from(
      { length: count },
      (_, i) => Math.min(size, l - i * size),
    );
    return tf.div(sums, tf.tensor3d(counts, [1, count, 1])) as tf.Tensor3D;
  });
}

/**
 * Nyström approximation of `softmax(q kᵀ) v` for `q, k, v [B, L, d]` (`q`
 * already scaled), with `landmarks` segment landmarks and `iterations`
 * pseudo-inverse steps: `[B, L, d]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { nystromAttention } from "./nystrom_attention.ts";
 * const q = tf.randomNormal([2, 12, 4]) as tf.Tensor3D;
 * const out = nystromAttention(q, q, q, 4, 6);
 * if (out.shape.join() !== "2,12,4") throw new Error();
 * ```
 */
export function nystromAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  landmarks: number,
  iterations: number,
): tf.Tensor3D {
  return tf.tidy(() => {
    const qL = segmentMeans(q, landmarks), kL = segmentMeans(k, landmarks);
    const attn1 = tf.softmax(tf.matMul(q, kL, false, true)); // [B, L, m]
    const attn2 = tf.softmax(tf.matMul(qL, kL, false, true)); // [B, m, m]
    const attn3 = tf.softmax(tf.matMul(qL, k, false, true)); // [B, m, L]
    // Right to left: every product is O(L·m·d), none O(L²).
    const context = tf.matMul(
      iterativePinv(attn2 as tf.Tensor3D, iterations),
      tf.matMul(attn3, v),
    );
    return tf.matMul(attn1, context) as tf.Tensor3D;
  });
}

/** Shape of a {@link NystromSelfAttention}. */
export interface NystromOptions {
  /** Token width; heads × head width. */
  dim: number;
  heads: number;
  /** Number of landmarks m. */
  landmarks: number;
  /** Pseudo-inverse iterations. */
  pinvIterations: number;
  /** Length of the depthwise convolution of V along the sequence (odd). */
  residualKernel: number;
  /** Dropout after the output projection (training only). */
  dropout: number;
}

/** What a {@link NystromSelfAttention} returns. */
export interface NystromOutput {
  /** `[L, dim]`. */
  out: tf.Tensor2D;
  /** Exact pre-softmax scores of token 0's query over all L keys, per head: `[heads, L]`. */
  firstRowScores: tf.Tensor2D;
}

/**
 * Multi-head Nyström self-attention over `[L, dim]` tokens.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { NystromSelfAttention } from "./nystrom_attention.ts";
 * import { ParamScope } from "../weights_scope.ts";
 * const scope = new ParamScope("demo_nystrom", 1);
 * const attn = new NystromSelfAttention(scope, "attn", {
 *   dim: 16, heads: 8, landmarks: 8, pinvIterations: 6, residualKernel: 33, dropout: 0.1,
 * });
 * const { out, firstRowScores } = attn.apply(tf.randomNormal([20, 16]), { training: false });
 * if (out.shape.join() !== "20,16" || firstRowScores.shape.join() !== "8,20") throw new Error();
 * scope.dispose();
 * ```
 */
export class NystromSelfAttention {
  readonly options: Readonly<NystromOptions>;
  #qkv: LinearParams;
  #out: LinearParams;
  #residual: tf.Variable;

  /** Creates `<local>.qkv` (no bias), `<local>.out` and `<local>.residual [kernel, heads]`. */
  constructor(scope: ParamScope, local: string, options: NystromOptions) {
    const { dim, heads, residualKernel } = options;
    if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
      throw new RangeError(
        `Cannot construct NystromSelfAttention as heads must divide dim: got heads ${heads}, dim ${dim}`,
      );
    }
    if (residualKernel % 2 !== 1) {
      throw new RangeError(
        `Cannot construct NystromSelfAttention as residualKernel must be odd: current value is ${residualKernel}`,
      );
    }
    this.options = { ...options };
    this.#qkv = scope.linear(`${local}.qkv`, dim, 3 * dim, { bias: false });
    this.#out = scope.linear(`${local}.out`, dim, dim);
    // Conv2d(heads, heads, (k, 1), groups = heads): fan-in k.
    this.#residual = scope.variable(
      `${local}.residual`,
      [residualKernel, heads],
      scope.uniform(residualKernel * heads, 1 / Math.sqrt(residualKernel)),
    );
  }

  /** Attends over `x [L, dim]`. */
  apply(x: tf.Tensor2D, options: ForwardOptions): NystromOutput {
    const { dim, heads, landmarks, pinvIterations, residualKernel } =
      this.options;
    const l = x.shape[0];
    const dh = dim / heads;
    const qkv = applyLinear(x, this.#qkv);
    const split = (i: number) =>
      tf.transpose(
        tf.reshape(tf.slice(qkv, [0, i * dim], [l, dim]), [l, heads, dh]),
        [1, 0, 2],
      ) as tf.Tensor3D;
    const q = tf.mul(split(0), 1 / Math.sqrt(dh)) as tf.Tensor3D;
    const k = split(1), v = split(2);
    const attended = nystromAttention(q, k, v, landmarks, pinvIterations);
    const merged = tf.reshape(tf.transpose(attended, [1, 0, 2]), [l, dim]);
    // Depthwise conv of V along the sequence, one weight per head and tap.
    const kernel = tf.reshape(
      tf.tile(tf.reshape(this.#residual, [residualKernel, heads, 1]), [
        1,
        1,
        dh,
      ]),
      [residualKernel, 1, dim],
    ) as tf.Tensor3D;
    const vSeq = tf.reshape(tf.slice(qkv, [0, 2 * dim], [l, dim]), [l, 1, dim]);
    const residual = tf.reshape(
      depthwiseConvSame(vSeq as tf.Tensor3D, kernel),
      [l, dim],
    );
    const out = dropout(
      applyLinear(tf.add(merged, residual) as tf.Tensor2D, this.#out),
      this.options.dropout,
      options,
    );
    const firstRowScores = tf.reshape(
      tf.matMul(tf.slice(q, [0, 0, 0], [heads, 1, dh]), k, false, true),
      [heads, l],
    ) as tf.Tensor2D;
    return { out, firstRowScores };
  }
}
