/**
 * Plain wasm without OpenBLAS: its matmul is 10–60× slower on transposed
 * operands, which the backward pass uses for every product. These wrappers
 * transpose the operands with the wasm `Transpose` kernel and call the stock
 * kernel on untransposed ones.
 *
 * This is done at the kernel rather than by re-registering the
 * `BatchMatMul` gradient: it also covers the gradient of `tf.fused.matMul`
 * (a custom gradient that calls matMul with transpose flags) and leaves the
 * global gradient registry, shared with the cpu backend, untouched.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

interface Disposer {
  disposeData(dataId: tf.DataId): void;
}

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * The stock wasm matmuls flatten the batch dimensions, so they are only
 * right when both sides have the same batch dimensions or one side has a
 * single batch; anything else (e.g. `[2, 1, m, k] · [3, k, n]`) gets a
 * clear error instead of a wrongly shaped result.
 */
function checkSimpleBatches({ a, b }: { a: tf.TensorInfo; b: tf.TensorInfo }) {
  const outer = (s: readonly number[]) => {
    const dims = s.slice(0, -2);
    while (dims[0] === 1) dims.shift();
    return dims;
  };
  const [oa, ob] = [outer(a.shape), outer(b.shape)];
  if (oa.length > 0 && ob.length > 0 && oa.join() !== ob.join()) {
    throw new Error(
      `Matmul on plain wasm expects equal batch dimensions or a single batch on one side: ` +
        `got a [${a.shape}] and b [${b.shape}]; the blas backend broadcasts these`,
    );
  }
}

/**
 * Wraps the stock wasm config of a matmul kernel (`BatchMatMul` or
 * `_FusedMatMul`) so it never sees a transpose flag.
 *
 * @example
 * ```ts ignore
 * const stock = tf.getKernel("BatchMatMul", "wasm")!;
 * tf.unregisterKernel("BatchMatMul", "wasm");
 * tf.registerKernel(untransposedKernelConfig(stock));
 * ```
 */
export function untransposedKernelConfig(
  stock: tf.KernelConfig,
): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as {
      transposeA: boolean;
      transposeB: boolean;
    };
    checkSimpleBatches(inputs as { a: tf.TensorInfo; b: tf.TensorInfo });
    if (!transposeA && !transposeB) return stock.kernelFunc(args);
    const transpose = tf.getKernel(tf.Transpose, "wasm");
    if (transpose === undefined) {
      throw new Error("The wasm backend has no Transpose kernel registered");
    }
    const made: tf.TensorInfo[] = [];
    const materialise = (x: tf.TensorInfo) => {
      const t = transpose.kernelFunc({
        inputs: { x },
        backend,
        attrs: { perm: swapLastTwo(x.shape.length) },
      }) as tf.TensorInfo;
      made.push(t);
      return t;
    };
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    try {
      return stock.kernelFunc({
        inputs: {
          ...inputs,
          a: transposeA ? materialise(a) : a,
          b: transposeB ? materialise(b) : b,
        },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of made) {
        (backend as unknown as Disposer).disposeData(t.dataId);
      }
    }
  };
  return { ...stock, kernelFunc };
}
