/**
 * Direct access to a tensor's storage, for in-place updates that would
 * otherwise take a dozen allocating tfjs ops per variable (optimiser steps,
 * EMA updates): on the wasm backend a view of the wasm heap, on the cpu
 * backend its value array.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

interface StorageBackend {
  refCount?(dataId: object): number;
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
  data?: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * The live float32 values of `tensor`, or undefined when they cannot be
 * reached safely: another backend, another dtype, or storage shared with
 * another tensor (so writing would change that one too). A wasm heap view
 * is invalidated when the heap grows: take views after allocating, and do
 * not allocate tensors while using them.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { liveValues } from "./live_values.ts";
 * await tf.setBackend("cpu");
 * const v = tf.variable(tf.tensor1d([1, 2]));
 * const values = liveValues(v);
 * if (values) values[0] = 5;
 * if (values && v.dataSync()[0] !== 5) throw new Error("not live");
 * v.dispose();
 * ```
 */
export function liveValues(tensor: tf.Tensor): Float32Array | undefined {
  if (tensor.dtype !== "float32" || tensor.isDisposed) return undefined;
  const backend = tf.backend() as unknown as StorageBackend;
  if (backend.refCount?.(tensor.dataId) !== 1) return undefined;
  if (typeof backend.typedArrayFromHeap === "function") {
    return backend.typedArrayFromHeap(tensor) as Float32Array;
  }
  const values = backend.data?.get(tensor.dataId)?.values;
  return values instanceof Float32Array && values.length === tensor.size
    ? values
    : undefined;
}
