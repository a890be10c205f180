/**
 * Two wasm kernels replaced because a training step spends real time in
 * them (measured with `tf.profile` on gated ABMIL, N 8000, D 1024):
 *
 * - `Identity` copies its input on wasm; gradients and custom ops call it
 *   dozens of times per step on `[N, 512]` tensors. Tensors are immutable,
 *   so sharing the data (as the cpu backend does) is safe.
 * - `Sum` over leading axes (bias gradients: `[N, k] → [k]`) transposes the
 *   whole input first on wasm; a row-wise accumulation avoids the copy.
 *   Other reductions go to the stock kernel.
 * - `Tanh` is scalar code on wasm (≈18 ms for `[8000, 128]`), while
 *   `Sigmoid` is vectorised (≈1 ms): tanh(x) = 2σ(2x) − 1 is computed
 *   with it (absolute error ≈ 1e-7 in float32).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { WasmHeapBackend } from "./blas_kernels.ts";

interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

/** Axes of a reduction as a sorted list of non-negative indices. */
function normaliseAxes(
  axis: number | number[] | undefined,
  rank: number,
): number[] {
  const list = axis === undefined ? [...Array(rank).keys()] : [axis].flat();
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) =>
    a - b
  );
}

/**
 * Configs replacing the wasm `Identity`, `Sum` and `Tanh` kernels, given
 * the wasm backend's own `Sum` (for what the fast path does not handle)
 * and `Sigmoid`.
 *
 * @example
 * ```ts ignore
 * const configs = leanWasmKernelConfigs(
 *   tf.getKernel("Sum", "wasm")!,
 *   tf.getKernel("Sigmoid", "wasm")!,
 * );
 * ```
 */
export function leanWasmKernelConfigs(
  stockSum: tf.KernelConfig,
  stockSigmoid: tf.KernelConfig,
): tf.KernelConfig[] {
  const identity: tf.KernelFunc = ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    (backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  const sum: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as {
      axis?: number | number[];
      keepDims?: boolean;
    };
    const rank = x.shape.length;
    const axes = normaliseAxes(axis, rank);
    const leading = axes.length > 0 && axes.length < rank &&
      axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading) return stockSum.kernelFunc(args);
    const outer = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
    const innerShape = x.shape.slice(axes.length);
    const inner = innerShape.reduce((p, d) => p * d, 1);
    const heap = args.backend as unknown as WasmHeapBackend;
    const outShape = keepDims
      ? [...axes.map(() => 1), ...innerShape]
      : innerShape;
    const out = heap.makeOutput(outShape, "float32");
    const values = heap.typedArrayFromHeap(x);
    const result = heap.typedArrayFromHeap(out);
    const acc = new Float64Array(inner);
    for (let r = 0; r < outer; r++) {
      const row = r * inner;
      for (let j = 0; j < inner; j++) acc[j] = acc[j]! + values[row + j]!;
    }
    result.set(acc);
    return out;
  };
  const tanh: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const heap = args.backend as unknown as WasmHeapBackend;
    if (x.dtype !== "float32") {
      throw new Error(`Tanh on wasm expects float32: got ${x.dtype}`);
    }
    const doubled = heap.makeOutput([...x.shape], "float32");
    const from = heap.typedArrayFromHeap(x),
      to = heap.typedArrayFromHeap(doubled);
    for (let i = 0; i < to.length; i++) to[i] = 2 * from[i]!;
    const sigmoid = stockSigmoid.kernelFunc({
      inputs: { x: doubled },
      backend: args.backend,
      attrs: {},
    }) as tf.TensorInfo;
    // Views only now: the sigmoid output may have grown the heap.
    const s = heap.typedArrayFromHeap(sigmoid),
      out = heap.typedArrayFromHeap(doubled);
    for (let i = 0; i < out.length; i++) out[i] = 2 * s[i]! - 1;
    (args.backend as unknown as { disposeData(id: tf.DataId): void })
      .disposeData(sigmoid.dataId);
    return doubled;
  };
  return [
    { kernelName: tf.Tanh, backendName: "wasm", kernelFunc: tanh },
    { kernelName: tf.Identity, backendName: "wasm", kernelFunc: identity },
    { ...stockSum, kernelFunc: sum },
  ];
}
