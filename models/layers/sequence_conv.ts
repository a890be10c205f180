/**
 * A depthwise 1-D convolution along a token sequence with one kernel per
 * attention head (shared by the head's channels), "same" zero padding: the
 * residual convolution of V in Nyström attention. Written as block-banded
 * matrix products rather than a convolution kernel: the sequence is cut
 * into blocks of B ≥ kernel radius tokens, so each output block only sees
 * its own and its two neighbouring input blocks, through three B × B
 * Toeplitz matrices per head built from the kernel. That is
 * O(L·B·dim) multiply-adds on the BLAS path, where tfjs-wasm's depthwise
 * convolution runs at well under 1 GMAC/s, and memory stays O(L·dim).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Smallest block; larger blocks waste work on zeros, smaller ones add overhead. */
const MIN_BLOCK = 32;

/**
 * `y[i, c] = Σ_t weight[t, head(c)] · x[i + t − r, c]` with r = (k − 1)/2,
 * for `x [L, heads·dh]` (head-major channels) and `weight [k, heads]`, k odd.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { headwiseSequenceConv } from "./sequence_conv.ts";
 * const x = tf.tensor2d([[1, 10], [2, 20], [3, 30]]); // 2 heads of width 1
 * const w = tf.tensor2d([[1, 0], [1, 1], [1, 0]]); // head 0 sums 3 taps, head 1 is identity
 * const y = headwiseSequenceConv(x, w, 2).arraySync();
 * if (y.map((r) => r.join()).join(" ") !== "3,10 6,20 5,30") throw new Error();
 * ```
 */
export function headwiseSequenceConv(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  heads: number,
): tf.Tensor2D {
  const [l, dim] = x.shape;
  const [k, wHeads] = weight.shape;
  if (k % 2 !== 1 || wHeads !== heads || dim % heads !== 0) {
    throw new RangeError(
      `headwiseSequenceConv() expects weight [odd k, ${heads}] and x [L, ${heads}·dh]: got weight [${weight.shape}] and x [${x.shape}]`,
    );
  }
  const r = (k - 1) / 2;
  const b = Math.max(r, MIN_BLOCK);
  const blocks = Math.ceil(l / b);
  const dh = dim / heads;
  return tf.tidy(() => {
    // T [heads, B, 3B]: row p of the output block, column δ·B + q of the
    // (previous, own, next) input blocks, entry weight[δ·B + q − p + r − B].
    const toeplitz = tf.reshape(
      tf.matMul(weight, placement(k, b), true, false),
      [heads, b, 3 * b],
    );
    // x → [heads, B, blocks, dh]: position within block, then block.
    const padded = tf.pad(x, [[0, blocks * b - l], [0, 0]]);
    const grid = tf.transpose(
      tf.reshape(padded, [blocks, b, heads, dh]),
      [2, 1, 0, 3],
    );
    const shifted = tf.pad(grid, [[0, 0], [0, 0], [1, 1], [0, 0]]);
    // One product per neighbour, summed: a concatenation of the three
    // would cost a split in the backward pass, slow on tfjs-wasm.
    const out = tf.addN([0, 1, 2].map((s) =>
      tf.matMul(
        tf.slice(toeplitz, [0, 0, s * b], [heads, b, b]) as tf.Tensor3D,
        tf.reshape(
          tf.slice(shifted, [0, 0, s, 0], [heads, b, blocks, dh]),
          [heads, b, blocks * dh],
        ) as tf.Tensor3D,
      )
    ));
    const back = tf.transpose(
      tf.reshape(out, [heads, b, blocks, dh]),
      [2, 1, 0, 3],
    );
    return tf.slice(
      tf.reshape(back, [blocks * b, dim]),
      [0, 0],
      [l, dim],
    ) as tf.Tensor2D;
  });
}

/** `[k, B·3B]` 0/1 map from kernel taps to the Toeplitz blocks' entries. */
function placement(k: number, b: number): tf.Tensor2D {
  const r = (k - 1) / 2;
  const values = new Float32Array(k * b * 3 * b);
  for (let p = 0; p < b; p++) {
    for (let col = 0; col < 3 * b; col++) {
      const t = col - b - p + r; // input offset (col − B) − p, shifted by r
      if (t >= 0 && t < k) values[t * 3 * b * b + p * 3 * b + col] = 1;
    }
  }
  return tf.tensor2d(values, [k, 3 * b * b]);
}
