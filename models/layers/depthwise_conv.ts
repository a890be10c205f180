/**
 * Depthwise 2-D convolution with "same" zero padding and odd kernels, with
 * a gradient on every backend. tfjs's wasm backend has the forward kernel
 * (DepthwiseConv2dNative) but neither backward kernel, so the gradient is
 * written with the forward kernel too: the input gradient is the same
 * convolution of dy with the kernel flipped, and the kernel gradient is a
 * "valid" depthwise convolution of the padded input with dy as the filter.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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
  const [h, w, c] = x.shape;
  const [kh, kw, kc] = kernel.shape;
  if (kh % 2 !== 1 || kw % 2 !== 1 || kc !== c) {
    throw new RangeError(
      `depthwiseConvSame() expects an odd kernel [kh, kw, ${c}] for input [${x.shape}]: got [${kernel.shape}]`,
    );
  }
  const ph = (kh - 1) / 2, pw = (kw - 1) / 2;
  const conv = tf.customGrad(
    (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, filter, save] = args as [
        tf.Tensor,
        tf.Tensor,
        tf.GradSaveFunc,
      ];
      save([input, filter]);
      const value = tf.reshape(
        tf.depthwiseConv2d(
          tf.reshape(input, [1, h, w, c]) as tf.Tensor4D,
          tf.reshape(filter, [kh, kw, c, 1]) as tf.Tensor4D,
          1,
          "same",
        ),
        [h, w, c],
      );
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor, tf.Tensor];
        const dy4 = tf.reshape(dy, [1, h, w, c]) as tf.Tensor4D;
        const flipped = tf.reshape(
          tf.reverse(ws, [0, 1]),
          [kh, kw, c, 1],
        ) as tf.Tensor4D;
        const dx = tf.reshape(
          tf.depthwiseConv2d(dy4, flipped, 1, "same"),
          [h, w, c],
        );
        const padded = tf.pad(tf.reshape(xs, [1, h, w, c]), [
          [0, 0],
          [ph, ph],
          [pw, pw],
          [0, 0],
        ]) as tf.Tensor4D;
        const dw = tf.reshape(
          tf.depthwiseConv2d(
            padded,
            tf.reshape(dy, [h, w, c, 1]) as tf.Tensor4D,
            1,
            "valid",
          ),
          [kh, kw, c],
        );
        return [dx, dw];
      };
      return { value, gradFunc };
    },
  );
  return conv(x, kernel) as tf.Tensor3D;
}
