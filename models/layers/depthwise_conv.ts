/**
 * Depthwise 2-D convolution with "same" zero padding and odd kernels, with
 * a gradient on every backend, fast on tfjs's wasm backend.
 *
 * tfjs-wasm runs depthwise convolutions through XNNPACK, fast for kernels
 * up to 5 × 5 (≈ 17 ms for 3 × 3 and 30 ms for 5 × 5 over a 90 × 90 × 512
 * grid on 2 cores) and ten times slower beyond (≈ 330 ms for 7 × 7). So a
 * larger kernel is cut into 5 × 5 windows (zero-padded at its bottom and
 * right edges), each a "valid" convolution of its crop of the padded input,
 * and the window results are added. The wasm backend has neither backward
 * kernel, so the gradients are written here: the input gradient is the
 * same convolution of dy with the kernel flipped, and the kernel gradient,
 * `dk[i, j, c] = Σ_{h,w} x_pad[h + i, w + j, c] · dy[h, w, c]`, is a batch
 * (over channels) of matrix products `x_pad[i : i + H, :]ᵀ · dy` whose
 * diagonals are summed by one more product with a 0/1 matrix — BLAS work,
 * where a depthwise convolution with dy as a 90 × 90 filter takes 600 ms.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Largest kernel side XNNPACK convolves in one fast pass. */
const WINDOW = 5;

/**
 * `y[h, w, c] = Σ_{i,j} kernel[i, j, c] · x[h + i − ⌊kh/2⌋, w + j − ⌊kw/2⌋, c]`
 * for `x [H, W, C]` and `kernel [kh, kw, C]` (kh, kw odd), zero outside x.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { depthwiseConvSame } from "./depthwise_conv.ts";
 * const x = tf.ones([4, 4, 2]) as tf.Tensor3D;
 * const y = depthwiseConvSame(x, tf.ones([3, 3, 2]) as tf.Tensor3D);
 * // A corner sees 4 of the 9 taps, the centre all 9.
 * if (y.arraySync()[0]?.[0]?.[0] !== 4 || y.arraySync()[1]?.[1]?.[0] !== 9) throw new Error();
 * ```
 */
export function depthwiseConvSame(
  x: tf.Tensor3D,
  kernel: tf.Tensor3D,
): tf.Tensor3D {
  const [, , c] = x.shape;
  const [kh, kw, kc] = kernel.shape;
  if (kh % 2 !== 1 || kw % 2 !== 1 || kc !== c) {
    throw new RangeError(
      `depthwiseConvSame() expects an odd kernel [kh, kw, ${c}] for input [${x.shape}]: got [${kernel.shape}]`,
    );
  }
  const conv = tf.customGrad(
    (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, filter, save] = args as [
        tf.Tensor3D,
        tf.Tensor3D,
        tf.GradSaveFunc,
      ];
      save([input, filter]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor3D, tf.Tensor3D];
        const dx = convolve(dy as tf.Tensor3D, tf.reverse(ws, [0, 1]));
        return [dx, kernelGradient(xs, dy as tf.Tensor3D, kh, kw)];
      };
      return { value: convolve(input, filter), gradFunc };
    },
  );
  return conv(x, kernel) as tf.Tensor3D;
}

/** The forward convolution (no gradient of its own). */
function convolve(x: tf.Tensor3D, kernel: tf.Tensor3D): tf.Tensor3D {
  const [h, w, c] = x.shape;
  const [kh, kw] = kernel.shape;
  return tf.tidy(() => {
    const x4 = tf.reshape(x, [1, h, w, c]) as tf.Tensor4D;
    if (kh <= WINDOW && kw <= WINDOW) {
      return tf.reshape(
        tf.depthwiseConv2d(
          x4,
          tf.reshape(kernel, [kh, kw, c, 1]) as tf.Tensor4D,
          1,
          "same",
        ),
        [h, w, c],
      ) as tf.Tensor3D;
    }
    const rows = Math.ceil(kh / WINDOW), cols = Math.ceil(kw / WINDOW);
    const extraH = rows * WINDOW - kh, extraW = cols * WINDOW - kw;
    const ph = (kh - 1) / 2, pw = (kw - 1) / 2;
    const k = tf.pad(kernel, [[0, extraH], [0, extraW], [0, 0]]);
    const padded = tf.pad(x4, [
      [0, 0],
      [ph, ph + extraH],
      [pw, pw + extraW],
      [0, 0],
    ]);
    const parts: tf.Tensor[] = [];
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < cols; s++) {
        const window = tf.slice(k, [r * WINDOW, s * WINDOW, 0], [
          WINDOW,
          WINDOW,
          c,
        ]);
        const crop = tf.slice(padded, [0, r * WINDOW, s * WINDOW, 0], [
          1,
          h + WINDOW - 1,
          w + WINDOW - 1,
          c,
        ]) as tf.Tensor4D;
        parts.push(
          tf.depthwiseConv2d(
            crop,
            tf.reshape(window, [WINDOW, WINDOW, c, 1]) as tf.Tensor4D,
            1,
            "valid",
          ),
        );
      }
    }
    return tf.reshape(tf.addN(parts), [h, w, c]) as tf.Tensor3D;
  });
}

/**
 * `dk [kh, kw, C]` of the "same" convolution of `x [H, W, C]`, given `dy`:
 * for each kernel row i, `G_i[c] = x_pad[i : i + H, :, c]ᵀ · dy[:, :, c]`
 * (`[W + kw − 1, W]`), and `dk[i, j, c] = Σ_w G_i[c][w + j, w]`.
 */
function kernelGradient(
  x: tf.Tensor3D,
  dy: tf.Tensor3D,
  kh: number,
  kw: number,
): tf.Tensor3D {
  const [h, w, c] = x.shape;
  const ph = (kh - 1) / 2, pw = (kw - 1) / 2;
  const wp = w + 2 * pw;
  return tf.tidy(() => {
    const xT = tf.transpose(
      tf.pad(x, [[ph, ph], [pw, pw], [0, 0]]),
      [2, 0, 1],
    ); // [C, H + 2ph, W + 2pw]
    const dyT = tf.transpose(dy, [2, 0, 1]) as tf.Tensor3D; // [C, H, W]
    const diagonals = diagonalSums(wp, w, kw);
    const rows: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      const band = tf.slice(xT, [0, i, 0], [c, h, wp]) as tf.Tensor3D;
      const g = tf.matMul(band, dyT, true, false); // [C, W + 2pw, W]
      rows.push(tf.matMul(tf.reshape(g, [c, wp * w]), diagonals)); // [C, kw]
    }
    return tf.transpose(tf.stack(rows), [0, 2, 1]) as tf.Tensor3D;
  });
}

/** `[wp·w, kw]` 0/1 matrix picking entry (w + j, w) of a `[wp, w]` matrix into column j. */
function diagonalSums(wp: number, w: number, kw: number): tf.Tensor2D {
  const values = new Float32Array(wp * w * kw);
  for (let col = 0; col < w; col++) {
    for (let j = 0; j < kw; j++) values[((col + j) * w + col) * kw + j] = 1;
  }
  return tf.tensor2d(values, [wp * w, kw]);
}
