/**
 * Direct access to a tensor's storage, for updates that would otherwise
 * take a dozen allocating tfjs ops per variable (optimiser steps, EMA
 * updates): on the wasm backend a view of the wasm heap, on the cpu backend
 * its value array.
 *
 * Model weights must not be changed in place: the wasm backend's XNNPACK
 * kernels (matmul, fused matmul, convolutions) pack a weight operand once
 * and cache the packed copy under the weight's data id, so values written
 * into the same storage are never seen by them; the products keep using the
 * old weights. {@link replaceValues} writes new values into fresh storage
 * that then replaces the variable's, as `assign` does. {@link liveValues}
 * (in place) is for state no kernel reads as a weight, such as optimiser
 * moments.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

interface StorageBackend {
  refCount?(dataId: object): number;
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  write?(values: unknown, shape: number[], dtype: tf.DataType): tf.DataId;
  data?: { get(dataId: object): { values?: unknown } | undefined };
}

/** The float32 values behind `info`, when this backend exposes them. */
function storageOf(
  backend: StorageBackend,
  info: tf.TensorInfo,
): Float32Array | undefined {
  if (typeof backend.typedArrayFromHeap === "function") {
    return backend.typedArrayFromHeap(info);
  }
  const values = backend.data?.get(info.dataId)?.values;
  return values instanceof Float32Array &&
      values.length === info.shape.reduce((p, d) => p * d, 1)
    ? values
    : undefined;
}

/**
 * New float32 storage shaped `shape` (contents unspecified on wasm): the
 * wasm backend's `makeOutput(shape, dtype)`, the cpu backend's `write`.
 */
function newStorage(
  backend: StorageBackend,
  shape: number[],
): tf.TensorInfo | undefined {
  if (
    typeof backend.typedArrayFromHeap === "function" &&
    typeof backend.makeOutput === "function"
  ) {
    return backend.makeOutput(shape, "float32");
  }
  if (typeof backend.write === "function" && backend.data) {
    const size = shape.reduce((p, d) => p * d, 1);
    const dataId = backend.write(new Float32Array(size), shape, "float32");
    return { dataId, shape, dtype: "float32" };
  }
  return undefined;
}

/**
 * The live float32 values of `tensor`, or undefined when they cannot be
 * reached safely: another backend, another dtype, or storage shared with
 * another tensor (so writing would change that one too). A wasm heap view
 * is invalidated when the heap grows: take views after allocating, and do
 * not allocate tensors while using them. Not for model weights (see the
 * module note): use {@link replaceValues}.
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
  return storageOf(backend, tensor);
}

/**
 * The float32 values of `tensor` for reading: a view of its storage where
 * reachable (shared or not), else a copy. The same heap rule as
 * {@link liveValues}: no tensor allocation while the view is in use.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { readValues } from "./live_values.ts";
 * await tf.setBackend("cpu");
 * const t = tf.tensor1d([3, 4]);
 * if (readValues(t).join() !== "3,4") throw new Error("wrong values");
 * t.dispose();
 * ```
 */
export function readValues(tensor: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as StorageBackend;
  const view = tensor.dtype === "float32" && !tensor.isDisposed
    ? storageOf(backend, tensor)
    : undefined;
  if (view) return view;
  const data = tensor.dataSync();
  return data instanceof Float32Array
    ? data
    : Float32Array.from(data as ArrayLike<number>);
}

/**
 * Gives `variables` new values computed straight into fresh storage:
 * `write(i, next, current)` fills `next` for variable `i` from its
 * `current` values (and whatever else it reads), then each variable's
 * storage is replaced by its `next`, as `assign` would. One allocation per
 * variable, no tfjs ops; every kernel, including those that cache packed
 * weights by data id, sees the new values.
 *
 * `write` must not allocate tensors: the views die when the wasm heap
 * grows. Returns the indices of variables it could not reach (not float32,
 * or a backend without direct storage access), for the caller to update
 * with tensor ops.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { replaceValues } from "./live_values.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const rest = replaceValues([w], (_, next, current) => {
 *   for (let j = 0; j < next.length; j++) next[j] = 2 * current[j]!;
 * });
 * if (rest.length !== 0 || w.dataSync().join() !== "2,4") {
 *   throw new Error("not replaced");
 * }
 * w.dispose();
 * ```
 */
export function replaceValues(
  variables: readonly tf.Variable[],
  write: (i: number, next: Float32Array, current: Float32Array) => void,
): number[] {
  const backend = tf.backend() as unknown as StorageBackend;
  const rest: number[] = [];
  // Allocate everything first: allocation may grow (and move) the heap.
  const fresh = variables.map((v, i) => {
    const info = v.dtype === "float32" && !v.isDisposed
      ? newStorage(backend, [...v.shape])
      : undefined;
    if (info === undefined) rest.push(i);
    return info;
  });
  try {
    variables.forEach((v, i) => {
      const info = fresh[i];
      if (info === undefined) return;
      const next = storageOf(backend, info), current = storageOf(backend, v);
      if (next === undefined || current === undefined) {
        throw new Error(
          `Cannot reach the storage of variable "${v.name}" on the ${tf.getBackend()} backend`,
        );
      }
      write(i, next, current);
    });
  } catch (error) {
    for (const info of fresh) {
      if (info) tf.engine().makeTensorFromTensorInfo(info).dispose();
    }
    throw error;
  }
  variables.forEach((v, i) => {
    const info = fresh[i];
    if (info === undefined) return;
    const t = tf.engine().makeTensorFromTensorInfo(info);
    v.assign(t);
    t.dispose();
  });
  return rest;
}
