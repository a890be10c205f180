/**
 * Row selection that is differentiable on every backend: `tf.gather`'s
 * gradient needs UnsortedSegmentSum, which the wasm backend lacks, so rows
 * are picked with a one-hot matrix product instead (O(k·N·D) for k rows,
 * small next to the models' own products). The indices are plain numbers:
 * selections (top-k, argmax) are decisions made outside the graph.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Rows `indices` of `x [N, D]` as `[k, D]`, with gradients flowing back to
 * the selected rows of `x`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { selectRows } from "./select_rows.ts";
 * const rows = selectRows(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), [2, 0]);
 * if (rows.arraySync()[0]?.[1] !== 6) throw new Error("row 2 first");
 * ```
 */
export function selectRows(
  x: tf.Tensor2D,
  indices: ArrayLike<number>,
): tf.Tensor2D {
  const n = x.shape[0];
  const k = indices.length;
  const picks = new Float32Array(k * n);
  for (let r = 0; r < k; r++) {
    const i = indices[r] as number;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(
        `selectRows() expects row indices in [0, ${n}): got ${i} at position ${r}`,
      );
    }
    picks[r * n + i] = 1;
  }
  return tf.tidy(() => tf.matMul(tf.tensor2d(picks, [k, n]), x) as tf.Tensor2D);
}

/**
 * Indices of the `k` largest values of `values`, largest first (ties by
 * lower index); `k` is clamped to the length.
 *
 * @example
 * ```ts
 * import { topIndices } from "./select_rows.ts";
 * if (topIndices([0.1, 0.9, 0.5], 2).join() !== "1,2") throw new Error();
 * ```
 */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order.slice(0, Math.min(k, values.length));
}
