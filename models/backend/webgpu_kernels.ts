/**
 * Fixes to tfjs's WebGPU kernels that the MIL models and the trainer hit.
 *
 * AddN: the stock kernel binds every input as its own storage buffer in one
 * shader, so past the device's `maxStorageBuffersPerShaderStage` (8 by
 * default, output included) the pipeline is invalid and the result is
 * garbage without an exception (`addN` of 8 ones gave 15000). The trainer's
 * global-norm clip adds one squared norm per variable (8 for gated ABMIL,
 * dozens for TransMIL). The fixed kernel sums in groups that fit.
 *
 * MatMul with `transposeB`: for one matrix, a long inner dimension (≥ 2000)
 * and a small output, tfjs picks its split-K program, which reads B as
 * vec4 along the wrong axis when B is transposed (`[33, 3072] × [8, 3072]ᵀ`
 * is off by more than the values themselves). TransMIL's residual
 * convolution's weight gradient is such a product. The fixed kernels
 * transpose B first in exactly that case (B is small there: its outer
 * dimension is part of the small output).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The backend methods the fix uses. */
interface DisposingBackend {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/**
 * An AddN kernel for `backendName` that calls `stock` on at most
 * `maxInputs` tensors at a time, summing the partial sums the same way.
 *
 * @example
 * ```ts ignore
 * const stock = tf.getKernel(tf.AddN, "webgpu")!;
 * tf.unregisterKernel(tf.AddN, "webgpu");
 * tf.registerKernel(groupedAddNConfig(stock, 7));
 * ```
 */
export function groupedAddNConfig(
  stock: tf.KernelConfig,
  maxInputs: number,
): tf.KernelConfig {
  if (!Number.isInteger(maxInputs) || maxInputs < 2) {
    throw new RangeError(
      `groupedAddNConfig needs at least 2 inputs per group: current value is ${maxInputs}`,
    );
  }
  return {
    kernelName: tf.AddN,
    backendName: stock.backendName,
    kernelFunc: (args) => {
      let inputs = args.inputs as unknown as tf.TensorInfo[];
      const partials: tf.TensorInfo[] = [];
      while (inputs.length > maxInputs) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < inputs.length; i += maxInputs) {
          const group = inputs.slice(i, i + maxInputs);
          if (group.length === 1) {
            next.push(group[0]!);
            continue;
          }
          const sum = stock.kernelFunc({
            ...args,
            inputs: group as unknown as tf.NamedTensorInfoMap,
          }) as tf.TensorInfo;
          partials.push(sum);
          next.push(sum);
        }
        inputs = next;
      }
      const out = stock.kernelFunc({
        ...args,
        inputs: inputs as unknown as tf.NamedTensorInfoMap,
      });
      const backend = args.backend as unknown as DisposingBackend;
      for (const p of partials) backend.disposeData(p.dataId);
      return out;
    },
  };
}

/** tfjs-webgpu's own matmul program choice (batchMatMulImpl), for the split-K case. */
function picksSplitK(
  backend: { thresholdToIncreaseWorkgroups?: number },
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
): boolean {
  if (Number(tf.env().get("WEBGPU_MATMUL_PROGRAM_TYPE")) >= 0) return false;
  const ra = a.shape.length, rb = b.shape.length;
  const outerA = a.shape[transposeA ? ra - 1 : ra - 2]!;
  const outerB = b.shape[rb - 2]!; // transposeB
  const inner = b.shape[rb - 1]!;
  const batch = Math.max(
    tf.util.sizeFromShape(a.shape.slice(0, -2)),
    tf.util.sizeFromShape(b.shape.slice(0, -2)),
  );
  const flag = Number(
    tf.env().get("WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL"),
  );
  const threshold = flag > 0
    ? flag
    : backend.thresholdToIncreaseWorkgroups ?? 8;
  const workgroups = batch * Math.ceil(outerA / 32) * Math.ceil(outerB / 32);
  const few = workgroups <= threshold ||
    (outerA <= 8 && workgroups <= 2 * threshold);
  return few && batch * outerA * outerB > 128 && batch === 1 &&
    inner >= 2000;
}

/**
 * `stock` (BatchMatMul or _FusedMatMul on webgpu) with B transposed
 * explicitly where tfjs would run its split-K program on a transposed B.
 *
 * @example
 * ```ts ignore
 * const fixed = splitKSafeMatMulConfig(tf.getKernel(tf.BatchMatMul, "webgpu")!, transposeKernel);
 * ```
 */
export function splitKSafeMatMulConfig(
  stock: tf.KernelConfig,
  transpose: tf.KernelConfig,
): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const inputs = args.inputs as unknown as Record<string, tf.TensorInfo>;
      const attrs = args.attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
      };
      const { a, b } = inputs;
      if (
        !attrs.transposeB || a === undefined || b === undefined ||
        !picksSplitK(args.backend as object, a, b, attrs.transposeA)
      ) {
        return stock.kernelFunc(args);
      }
      const rank = b.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
      const bT = transpose.kernelFunc({
        inputs: { x: b } as unknown as tf.NamedTensorInfoMap,
        backend: args.backend,
        attrs: { perm } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      try {
        return stock.kernelFunc({
          ...args,
          inputs: { ...inputs, b: bT } as unknown as tf.NamedTensorInfoMap,
          attrs: { ...attrs, transposeB: false } as unknown as tf.NamedAttrMap,
        });
      } finally {
        (args.backend as unknown as DisposingBackend).disposeData(bT.dataId);
      }
    },
  };
}

let stockAddN: tf.KernelConfig | undefined;
let stockMatMuls: tf.KernelConfig[] | undefined;

/**
 * Replaces the WebGPU backend's AddN with {@link groupedAddNConfig} sized
 * to `device`'s storage-buffer limit and its matmuls with
 * {@link splitKSafeMatMulConfig} (the stock kernels are captured once, so
 * calling this again does not nest).
 *
 * @example
 * ```ts ignore
 * await tf.setBackend("webgpu");
 * installWebGpuKernels((tf.backend() as unknown as { device: GPUDevice }).device);
 * ```
 */
export function installWebGpuKernels(device: GPUDevice): void {
  const kernel = (name: string) => {
    const config = tf.getKernel(name, "webgpu");
    if (config === undefined) {
      throw new Error(`The webgpu backend has no ${name} kernel registered`);
    }
    return config;
  };
  stockAddN ??= kernel(tf.AddN);
  stockMatMuls ??= [kernel(tf.BatchMatMul), kernel(tf._FusedMatMul)];
  const transpose = kernel(tf.Transpose);
  for (const stock of stockMatMuls) {
    tf.unregisterKernel(stock.kernelName, "webgpu");
    tf.registerKernel(splitKSafeMatMulConfig(stock, transpose));
  }
  // One binding is the output.
  const maxInputs = Math.max(
    2,
    device.limits.maxStorageBuffersPerShaderStage - 1,
  );
  tf.unregisterKernel(tf.AddN, "webgpu");
  tf.registerKernel(groupedAddNConfig(stockAddN, maxInputs));
}
