/**
 * Gradient checkpointing: run a block without keeping its intermediate
 * tensors for the backward pass, and recompute them when its gradient is
 * needed. Trades one extra forward pass of the block for its activation
 * memory, which is what lets TransMIL train on bags of 8,000–20,000
 * instances inside the wasm heap. The block must be deterministic (draw
 * dropout masks before it, not inside).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * `block(...tensors)` as one taped op. The backward pass re-runs `block`
 * under a fresh tape for the gradients with respect to `tensors` (passed
 * in, since the forward scope may free the originals) and `variables`
 * (read by `block` itself). Every tensor and variable must influence the
 * output.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { checkpoint } from "./checkpoint.ts";
 * const w = tf.variable(tf.tensor1d([0.5, 1, 2]));
 * const f = (x: tf.Tensor) => tf.sum(tf.square(tf.mul(tf.exp(x), w)));
 * const x = tf.tensor1d([1, 2, 3]);
 * const g = tf.grad((v) => checkpoint((a) => f(a), [v], [w]))(x);
 * const direct = tf.grad(f)(x);
 * if (tf.max(tf.abs(tf.sub(g, direct))).dataSync()[0]! > 1e-2) throw new Error();
 * ```
 */
export function checkpoint<T extends tf.Tensor>(
  block: (...tensors: tf.Tensor[]) => T,
  tensors: tf.Tensor[],
  variables: tf.Variable[] = [],
): T {
  const count = tensors.length;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, count) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save(inputs);
    // The forward pass keeps only the output (and the saved inputs).
    const value = tf.tidy(() => block(...inputs));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      // A gradient computed inside another's backward pass starts its own
      // tape and, when done, frees it and clears the engine's tape slot,
      // where the outer pass still needs its own tape for its cleanup:
      // put the outer tape back.
      const state = tf.engine().state;
      const outer = state.activeTape;
      try {
        return tf.grads((...xs: tf.Tensor[]) => block(...xs.slice(0, count)))(
          [...saved, ...variables],
          dy,
        );
      } finally {
        state.activeTape = outer;
      }
    };
    return { value, gradFunc };
  });
  return op(...tensors, ...variables) as T;
}
