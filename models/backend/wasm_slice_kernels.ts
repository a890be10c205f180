/**
 * `Slice` and `SplitV` for the wasm backend that copy the longest
 * contiguous runs they can. The stock kernels copy one innermost row at a
 * time (a `subarray` view and a `set` per row), so cropping a
 * `[1, 99, 99, 512]` grid costs ~16 ms and slicing `[8, 32, 256, 64]`
 * along its third axis ~9 ms, where the data is a few long runs: trailing
 * axes taken whole merge into one run. Measured in TransMIL's training
 * step (PPEG crops, the banded sequence convolution, split gradients).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { WasmHeapBackend } from "./blas_kernels.ts";

type Numeric = Float32Array | Int32Array | Uint8Array;

/** Below this run length an element loop beats `subarray` + `set`. */
const SHORT_RUN = 32;

/**
 * Copies the block `begin … begin + size` of a row-major `shape` array
 * `src` into `dst` (row-major, dense).
 *
 * @example
 * ```ts
 * import { copyBlock } from "./wasm_slice_kernels.ts";
 * const src = Float32Array.from({ length: 12 }, (_, i) => i); // [3, 4]
 * const dst = new Float32Array(4);
 * copyBlock(src, [3, 4], [1, 1], [2, 2], dst);
 * if (dst.join() !== "5,6,9,10") throw new Error();
 * ```
 */
export function copyBlock(
  src: Numeric,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: Numeric,
): void {
  const rank = shape.length;
  let d = rank - 1, run = 1;
  while (d >= 0 && begin[d] === 0 && size[d] === shape[d]) {
    run *= shape[d]!;
    d--;
  }
  if (d < 0) {
    dst.set(src.subarray(0, run));
    return;
  }
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let k = rank - 1; k >= 0; k--) {
    strides[k] = stride;
    stride *= shape[k]!;
  }
  run *= size[d]!;
  let outer = 1;
  for (let k = 0; k < d; k++) outer *= size[k]!;
  const index = new Array<number>(d).fill(0);
  let out = 0;
  for (let o = 0; o < outer; o++) {
    let from = begin[d]! * strides[d]!;
    for (let k = 0; k < d; k++) from += (begin[k]! + index[k]!) * strides[k]!;
    if (run < SHORT_RUN) {
      for (let i = 0; i < run; i++) dst[out + i] = src[from + i]!;
    } else {
      dst.set(src.subarray(from, from + run), out);
    }
    out += run;
    for (let k = d - 1; k >= 0; k--) {
      if (++index[k]! < size[k]!) break;
      index[k] = 0;
    }
  }
}

function sliceInfo(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((s) => s === 0)) return out;
  // Views after makeOutput: allocating may grow (and move) the heap.
  copyBlock(
    backend.typedArrayFromHeap(x) as Numeric,
    x.shape,
    begin,
    size,
    backend.typedArrayFromHeap(out) as Numeric,
  );
  return out;
}

/**
 * Configs replacing the wasm `Slice` and `SplitV`, given the stock ones
 * (used for string tensors).
 *
 * @example
 * ```ts ignore
 * const configs = sliceKernelConfigs(
 *   tf.getKernel("Slice", "wasm")!,
 *   tf.getKernel("SplitV", "wasm")!,
 * );
 * ```
 */
export function sliceKernelConfigs(
  stockSlice: tf.KernelConfig,
  stockSplitV: tf.KernelConfig,
): tf.KernelConfig[] {
  const slice: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return stockSlice.kernelFunc(args);
    const attrs = args.attrs as unknown as {
      begin: number | number[];
      size: number | number[];
    };
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs.begin,
      attrs.size,
    ) as [number[], number[]];
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
    return sliceInfo(
      args.backend as unknown as WasmHeapBackend,
      x,
      begin,
      size,
    );
  };
  const splitV: tf.KernelFunc = (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return stockSplitV.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.Tensor,
      numOrSizeSplits,
      a,
    );
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[a] = s;
      const out = sliceInfo(
        args.backend as unknown as WasmHeapBackend,
        x,
        [...begin],
        size,
      );
      begin[a]! += s;
      return out;
    });
  };
  return [
    { ...stockSlice, kernelFunc: slice },
    { ...stockSplitV, kernelFunc: splitV },
  ];
}
