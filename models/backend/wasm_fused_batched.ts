/**
 * The stock wasm `_FusedMatMul` adds the bias wrongly when the product has
 * more than one batch (tfjs 4.22: `[2, 5, 3] · [2, 3, 4]` + bias is off by
 * bias differences). On plain wasm, batched fused products are therefore
 * composed from `BatchMatMul` and the shared bias/activation epilogue;
 * single-batch products (all that the models use) keep the stock kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { WasmHeapBackend } from "./blas_kernels.ts";
import { applyFusedEpilogue, type FusedEpilogue } from "./fused_epilogue.ts";

/**
 * A `_FusedMatMul` config for plain wasm that is correct for batched
 * inputs, given the (already wrapped) wasm `_FusedMatMul` and
 * `BatchMatMul` configs.
 *
 * @example
 * ```ts ignore
 * const fused = batchSafeFusedMatMulConfig(fusedConfig, batchMatMulConfig);
 * ```
 */
export function batchSafeFusedMatMulConfig(
  fused: tf.KernelConfig,
  batchMatMul: tf.KernelConfig,
): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: tf.TensorInfo;
      b: tf.TensorInfo;
      bias?: tf.TensorInfo;
      preluActivationWeights?: tf.TensorInfo;
    };
    const batches = (s: readonly number[]) =>
      s.slice(0, -2).reduce((p, d) => p * d, 1);
    if (batches(a.shape) === 1 && batches(b.shape) === 1) {
      return fused.kernelFunc(args);
    }
    const attrs = args.attrs as unknown as FusedEpilogue & {
      transposeA: boolean;
      transposeB: boolean;
    };
    const out = batchMatMul.kernelFunc({
      inputs: { a, b },
      backend: args.backend,
      attrs: { transposeA: attrs.transposeA, transposeB: attrs.transposeB },
    }) as tf.TensorInfo;
    const heap = args.backend as unknown as WasmHeapBackend;
    const view = (info: tf.TensorInfo | undefined) =>
      info === undefined
        ? undefined
        : { shape: info.shape, values: heap.typedArrayFromHeap(info) };
    applyFusedEpilogue(
      heap.typedArrayFromHeap(out),
      out.shape,
      view(bias),
      attrs,
      view(preluActivationWeights),
    );
    return out;
  };
  return { ...fused, kernelFunc };
}
