/**
 * `BatchMatMul` and `_FusedMatMul` for the tfjs wasm backend computed by
 * OpenBLAS `cblas_sgemm` on views of the wasm heap (notes/engine.md).
 *
 * The output is allocated with `backend.makeOutput` before any heap view is
 * taken, because allocation may grow (and so detach) the wasm memory.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { OpenBlas } from "./openblas.ts";
import { applyFusedEpilogue, type FusedEpilogue } from "./fused_epilogue.ts";

/** The parts of the wasm backend the kernels use. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Shapes of one (batched, broadcast) matrix product. */
interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  outShape: number[];
  /** For each output batch, the batch index into `a` and into `b`. */
  batchA: Int32Array;
  batchB: Int32Array;
}

/**
 * Works out `op(a) · op(b)` for tensors of rank ≥ 2 with broadcast outer
 * dimensions; throws with both shapes when they do not fit.
 *
 * @example
 * ```ts
 * import { planMatMul } from "./blas_kernels.ts";
 * const plan = planMatMul([2, 1, 5, 3], [3, 3, 4], false, false);
 * if (plan.outShape.join() !== "2,3,5,4") throw new Error("broadcast batch");
 * ```
 */
export function planMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan {
  const ra = aShape.length, rb = bShape.length;
  const seen = `a [${aShape}] (transposeA=${transposeA}) and b [${bShape}] ` +
    `(transposeB=${transposeB})`;
  if (ra < 2 || rb < 2) {
    throw new Error(`BLAS matMul expects tensors of rank ≥ 2: got ${seen}`);
  }
  const dim = (s: readonly number[], i: number) => s[i] as number;
  const m = transposeA ? dim(aShape, ra - 1) : dim(aShape, ra - 2);
  const kA = transposeA ? dim(aShape, ra - 2) : dim(aShape, ra - 1);
  const kB = transposeB ? dim(bShape, rb - 1) : dim(bShape, rb - 2);
  const n = transposeB ? dim(bShape, rb - 2) : dim(bShape, rb - 1);
  if (kA !== kB) {
    throw new Error(
      `BLAS matMul expects matching inner dimensions: ${kA} vs ${kB} for ${seen}`,
    );
  }
  const outerA = aShape.slice(0, -2), outerB = bShape.slice(0, -2);
  const rank = Math.max(outerA.length, outerB.length);
  const outer: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = outerA[i - rank + outerA.length] ?? 1;
    const db = outerB[i - rank + outerB.length] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `BLAS matMul expects broadcastable batch dimensions: got ${seen}`,
      );
    }
    outer.push(Math.max(da, db));
  }
  const batches = outer.reduce((p, d) => p * d, 1);
  const batchA = new Int32Array(batches), batchB = new Int32Array(batches);
  for (let o = 0; o < batches; o++) {
    let rest = o, ia = 0, ib = 0, strideA = 1, strideB = 1;
    for (let i = rank - 1; i >= 0; i--) {
      const size = outer[i] as number;
      const idx = rest % size;
      rest = (rest - idx) / size;
      const da = outerA[i - rank + outerA.length] ?? 1;
      const db = outerB[i - rank + outerB.length] ?? 1;
      if (da !== 1) ia += idx * strideA;
      if (db !== 1) ib += idx * strideB;
      strideA *= da;
      strideB *= db;
    }
    batchA[o] = ia;
    batchB[o] = ib;
  }
  return { m, n, k: kA, outShape: [...outer, m, n], batchA, batchB };
}

function checkFloat32(kernel: string, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) {
    if (info.dtype !== "float32") {
      throw new Error(
        `${kernel} on the BLAS backend expects float32 tensors: got ${info.dtype} [${info.shape}]`,
      );
    }
  }
}

/** Runs the planned product into a freshly allocated output. */
function gemm(
  blas: OpenBlas,
  backend: WasmHeapBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: MatMulAttrs,
): { out: tf.TensorInfo; plan: MatMulPlan } {
  const plan = planMatMul(a.shape, b.shape, attrs.transposeA, attrs.transposeB);
  const out = backend.makeOutput(plan.outShape, "float32");
  // Views only after makeOutput: allocation can grow the heap.
  const av = backend.typedArrayFromHeap(a);
  const bv = backend.typedArrayFromHeap(b);
  const cv = backend.typedArrayFromHeap(out);
  const { m, n, k } = plan;
  for (let o = 0; o < plan.batchA.length; o++) {
    const ia = plan.batchA[o] as number, ib = plan.batchB[o] as number;
    blas.sgemm(
      attrs.transposeA,
      attrs.transposeB,
      m,
      n,
      k,
      av.subarray(ia * m * k, (ia + 1) * m * k),
      bv.subarray(ib * k * n, (ib + 1) * k * n),
      cv.subarray(o * m * n, (o + 1) * m * n),
    );
  }
  return { out, plan };
}

/**
 * Kernel configs computing `BatchMatMul` and `_FusedMatMul` with `blas` on
 * the wasm backend.
 *
 * @example
 * ```ts ignore
 * for (const config of blasKernelConfigs(OpenBlas.open())) {
 *   tf.unregisterKernel(config.kernelName, "wasm");
 *   tf.registerKernel(config);
 * }
 * ```
 */
export function blasKernelConfigs(blas: OpenBlas): tf.KernelConfig[] {
  const batchMatMul: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    checkFloat32("BatchMatMul", a, b);
    return gemm(
      blas,
      backend as unknown as WasmHeapBackend,
      a,
      b,
      attrs as unknown as MatMulAttrs,
    ).out;
  };
  const fusedMatMul: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as {
      a: tf.TensorInfo;
      b: tf.TensorInfo;
      bias?: tf.TensorInfo;
      preluActivationWeights?: tf.TensorInfo;
    };
    checkFloat32("_FusedMatMul", a, b);
    const heap = backend as unknown as WasmHeapBackend;
    const fused = attrs as unknown as MatMulAttrs & FusedEpilogue;
    const { out, plan } = gemm(blas, heap, a, b, fused);
    const view = (info: tf.TensorInfo | undefined) =>
      info === undefined ? undefined : {
        shape: info.shape,
        values: heap.typedArrayFromHeap(info),
      };
    applyFusedEpilogue(
      heap.typedArrayFromHeap(out),
      plan.outShape,
      view(bias),
      fused,
      view(preluActivationWeights),
    );
    return out;
  };
  return [
    {
      kernelName: tf.BatchMatMul,
      backendName: "wasm",
      kernelFunc: batchMatMul,
    },
    {
      kernelName: tf._FusedMatMul,
      backendName: "wasm",
      kernelFunc: fusedMatMul,
    },
  ];
}
