/**
 * TransMIL's pyramid position encoding generator (PPEG): the instance
 * tokens, laid out on their H × W square, plus three depthwise
 * convolutions of them (kernels 7, 5 and 3, "same" padding, with bias);
 * the class token passes through. The three convolutions share input and
 * centre, so they are applied as one 7 × 7 convolution whose kernel is
 * their zero-padded sum (and whose bias is the sum of their biases): the
 * same result and gradients, a third of the work.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamScope } from "../weights_scope.ts";
import { depthwiseConvSame } from "./depthwise_conv.ts";

const KERNELS = [7, 5, 3] as const;

/**
 * PPEG over `[1 + H·W, dim]` tokens (class token first).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Ppeg } from "./ppeg.ts";
 * import { ParamScope } from "../weights_scope.ts";
 * const scope = new ParamScope("demo_ppeg", 1);
 * const ppeg = new Ppeg(scope, "ppeg", 4);
 * const y = ppeg.apply(tf.randomNormal([1 + 9, 4]), 3);
 * if (y.shape.join() !== "10,4") throw new Error();
 * scope.dispose();
 * ```
 */
export class Ppeg {
  readonly dim: number;
  #weights: tf.Variable[];
  #biases: tf.Variable[];

  /** Creates `<local>.conv{7,5,3}.w [k, k, dim]` and `.b [dim]`, PyTorch-initialised. */
  constructor(scope: ParamScope, local: string, dim: number) {
    this.dim = dim;
    this.#weights = [];
    this.#biases = [];
    for (const k of KERNELS) {
      // Conv2d(dim, dim, k, groups = dim): fan-in k·k.
      const bound = 1 / k;
      this.#weights.push(
        scope.variable(
          `${local}.conv${k}.w`,
          [k, k, dim],
          scope.uniform(k * k * dim, bound),
        ),
      );
      this.#biases.push(
        scope.variable(`${local}.conv${k}.b`, [dim], scope.uniform(dim, bound)),
      );
    }
  }

  /** The three kernels and biases. */
  variables(): tf.Variable[] {
    return [...this.#weights, ...this.#biases];
  }

  /** Applies PPEG to `tokens [1 + side², dim]`. */
  apply(tokens: tf.Tensor2D, side: number): tf.Tensor2D {
    const [l, dim] = tokens.shape;
    if (l !== 1 + side * side || dim !== this.dim) {
      throw new RangeError(
        `PPEG expects [1 + ${side}², ${this.dim}] tokens: got [${tokens.shape}]`,
      );
    }
    const kernel = tf.addN(this.#weights.map((w, i) => {
      const pad = (7 - (KERNELS[i] as number)) / 2;
      return tf.pad(w, [[pad, pad], [pad, pad], [0, 0]]);
    })) as tf.Tensor3D;
    const bias = tf.addN(this.#biases);
    const cls = tf.slice(tokens, [0, 0], [1, dim]);
    const grid = tf.reshape(
      tf.slice(tokens, [1, 0], [l - 1, dim]),
      [side, side, dim],
    ) as tf.Tensor3D;
    const encoded = tf.add(
      tf.add(grid, depthwiseConvSame(grid, kernel)),
      bias,
    );
    return tf.concat([cls, tf.reshape(encoded, [l - 1, dim])]) as tf.Tensor2D;
  }
}
