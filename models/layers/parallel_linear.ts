/**
 * G independent linear maps applied row by row (one classifier or one
 * projection per token or branch), initialised like PyTorch's `nn.Linear`:
 * U(±1/√in) for weights and biases.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamScope } from "../weights_scope.ts";

/**
 * Row g of `x [G, in]` goes through its own `W_g [in, out]` and `b_g [out]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ParallelLinear } from "./parallel_linear.ts";
 * import { ParamScope } from "../weights_scope.ts";
 * const scope = new ParamScope("demo_parallel", 1);
 * const heads = new ParallelLinear(scope, "heads", 3, 4, 2);
 * const y = heads.apply(tf.ones([3, 4]));
 * if (y.shape.join() !== "3,2") throw new Error("shape [G, out]");
 * scope.dispose();
 * ```
 */
export class ParallelLinear {
  /** `[G, in, out]`. */
  readonly weight: tf.Variable;
  /** `[G, out]`, or null when built without bias. */
  readonly bias: tf.Variable | null;
  readonly groups: number;

  /** Creates `<local>.w [G, in, out]` and, unless `bias` is false, `<local>.b [G, out]`. */
  constructor(
    scope: ParamScope,
    local: string,
    groups: number,
    inDim: number,
    outDim: number,
    options: { bias?: boolean } = {},
  ) {
    const bound = 1 / Math.sqrt(inDim);
    this.groups = groups;
    this.weight = scope.variable(
      `${local}.w`,
      [groups, inDim, outDim],
      scope.uniform(groups * inDim * outDim, bound),
    );
    this.bias = options.bias === false ? null : scope.variable(
      `${local}.b`,
      [groups, outDim],
      scope.uniform(groups * outDim, bound),
    );
  }

  /** Applies map g to row g of `x [G, in]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const weight = this.weight as tf.Tensor3D;
    const [g, d] = x.shape;
    if (d !== weight.shape[1] || g !== weight.shape[0]) {
      throw new RangeError(
        `ParallelLinear expects x [${weight.shape[0]}, ${
          weight.shape[1]
        }]: got [${x.shape}]`,
      );
    }
    const y = tf.matMul(tf.reshape(x, [g, 1, d]) as tf.Tensor3D, weight);
    const out = tf.reshape(y, [g, -1]) as tf.Tensor2D;
    return this.bias ? tf.add(out, this.bias) as tf.Tensor2D : out;
  }
}
