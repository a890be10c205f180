/**
 * HDF5 access through `h5wasm` from Deno. h5wasm runs the HDF5 C library in
 * WebAssembly with an in-memory file system, so a file is copied in (and
 * out) whole; keep single feature files below a few hundred MB.
 *
 * h5wasm 0.10 cannot convert float16 datasets (ACMIL stores `feat` as
 * float16); {@linkcode readMatrix} reads their raw bytes through the
 * module's `get_dataset_data` and decodes the halves itself.
 *
 * @module
 */

import * as h5wasm from "h5wasm";

/** A row-major float matrix read from a dataset. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

interface H5Module {
  FS: {
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
  };
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  get_dataset_data(
    file: bigint,
    path: string,
    count: null,
    offset: null,
    strides: null,
    ptr: bigint,
  ): void;
}

let counter = 0;

async function h5(): Promise<H5Module> {
  return await h5wasm.ready as unknown as H5Module;
}

/**
 * Opens the HDF5 file at `path` read-only for the duration of `fn`.
 *
 * @example
 * ```ts ignore
 * import { withH5File } from "./h5_file.ts";
 * const keys = await withH5File("slide_1.h5", (f) => f.keys());
 * ```
 */
export async function withH5File<T>(
  path: string,
  fn: (file: h5wasm.File) => T | Promise<T>,
): Promise<T> {
  const module = await h5();
  const bytes = await Deno.readFile(path);
  if (!hasHdf5Signature(bytes)) {
    throw new Error(
      `Cannot read ${path} as HDF5: no HDF5 signature at offset 0, 512, 1024, …`,
    );
  }
  const name = `/asmil_read_${Deno.pid}_${counter++}.h5`;
  module.FS.writeFile(name, bytes);
  let file: h5wasm.File;
  try {
    file = new h5wasm.File(name, "r");
  } catch (cause) {
    module.FS.unlink(name);
    throw new Error(`Cannot read ${path} as HDF5: ${String(cause)}`, { cause });
  }
  try {
    return await fn(file);
  } finally {
    file.close();
    module.FS.unlink(name);
  }
}

/**
 * Creates an HDF5 file at `path`, lets `fn` fill it, and writes it to disk.
 *
 * @example
 * ```ts ignore
 * import { writeH5File } from "./h5_file.ts";
 * await writeH5File("slide_1.h5", (f) => {
 *   f.create_dataset({ name: "features", data: new Float32Array(6), shape: [3, 2] });
 * });
 * ```
 */
export async function writeH5File(
  path: string,
  fn: (file: h5wasm.File) => void | Promise<void>,
): Promise<void> {
  const module = await h5();
  const name = `/asmil_write_${Deno.pid}_${counter++}.h5`;
  const file = new h5wasm.File(name, "w");
  try {
    await fn(file);
  } finally {
    file.close();
  }
  try {
    await Deno.writeFile(path, module.FS.readFile(name));
  } finally {
    module.FS.unlink(name);
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 files start with a signature at 0 or after a 512·2ᵏ-byte user block. */
function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length; at = at ? at * 2 : 512) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/** The dataset at `name` in `group`, or an error naming `where`. */
export function dataset(
  group: h5wasm.Group,
  name: string,
  where: string,
): h5wasm.Dataset {
  const d = group.get(name);
  if (!(d instanceof h5wasm.Dataset)) {
    throw new Error(
      `${where} has no dataset "${name}": found ${
        group.keys().map((k) => `"${k}"`).join(", ") || "nothing"
      }`,
    );
  }
  return d;
}

/**
 * Reads a 2-D numeric dataset (or `[1, N, D]`) as float32, including
 * float16 datasets.
 */
export async function readMatrix(
  d: h5wasm.Dataset,
  where: string,
): Promise<Matrix> {
  const shape = d.shape ?? [];
  const dims = shape.length === 3 && shape[0] === 1 ? shape.slice(1) : shape;
  if (dims.length !== 2) {
    throw new RangeError(
      `${where} must be a 2-D [N, D] array: current shape is [${shape}]`,
    );
  }
  const [rows, cols] = dims as [number, number];
  const meta = d.metadata;
  let data: Float32Array;
  if (meta.type === 1 && meta.size === 2) {
    data = halfToFloat(await rawBytes(d, meta.size * meta.total_size));
  } else {
    const value = d.value;
    if (!ArrayBuffer.isView(value) || value instanceof DataView) {
      throw new TypeError(
        `${where} must hold numbers: current dtype is ${
          JSON.stringify(d.dtype)
        }`,
      );
    }
    data = value instanceof Float32Array
      ? value
      : Float32Array.from(value as ArrayLike<number | bigint>, Number);
  }
  return { rows, cols, data };
}

async function rawBytes(
  d: h5wasm.Dataset,
  nbytes: number,
): Promise<Uint8Array> {
  const module = await h5();
  const ptr = module._malloc(nbytes);
  try {
    module.get_dataset_data(d.file_id, d.path, null, null, null, BigInt(ptr));
    return module.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    module._free(ptr);
  }
}

/** Decodes little-endian IEEE 754 half floats. */
export function halfToFloat(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) {
    const h = view.getUint16(2 * i, true);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    out[i] = exp === 0
      ? sign * frac * 2 ** -24
      : exp === 31
      ? (frac ? NaN : sign * Infinity)
      : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** A scalar attribute as a JS number or string, or `undefined`. */
export function scalarAttr(
  obj: h5wasm.Group | h5wasm.Dataset,
  name: string,
): number | string | undefined {
  const a = obj.attrs[name];
  if (!a) return undefined;
  let v: unknown = a.value;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    v = (v as unknown as ArrayLike<unknown>)[0];
  }
  if (Array.isArray(v)) v = v[0];
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return Number(v);
  return undefined;
}
