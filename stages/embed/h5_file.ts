/**
 * HDF5 access through `h5wasm` from Deno. h5wasm runs the HDF5 C library in
 * WebAssembly; files are attached to its file system as nodes whose reads
 * and writes go to disk ({@linkcode attachFile}), so a file is never held
 * in memory whole: {@linkcode readRows} brings in the rows asked for, in
 * blocks of a few MB.
 *
 * h5wasm 0.10 cannot convert float16 datasets (ACMIL stores `feat` as
 * float16); the readers here take every dataset's raw bytes through the
 * module's `get_dataset_data` and convert them to float32 themselves.
 *
 * @module
 */

import * as h5wasm from "h5wasm";
import { attachFile, type DiskTrace, type EmscriptenFs } from "./_h5_disk.ts";

export type { DiskTrace } from "./_h5_disk.ts";

/** A row-major float matrix read from a dataset. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

interface H5Module {
  FS: EmscriptenFs;
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  get_dataset_data(
    file: bigint,
    path: string,
    count: bigint[] | null,
    offset: bigint[] | null,
    strides: bigint[] | null,
    ptr: bigint,
  ): number;
}

async function h5(): Promise<H5Module> {
  return await h5wasm.ready as unknown as H5Module;
}

/**
 * Opens the HDF5 file at `path` read-only for the duration of `fn`, which
 * also gets the count of bytes read from disk so far.
 *
 * @example
 * ```ts ignore
 * import { withH5File } from "./h5_file.ts";
 * const keys = await withH5File("slide_1.h5", (f) => f.keys());
 * ```
 */
export async function withH5File<T>(
  path: string,
  fn: (file: h5wasm.File, trace: DiskTrace) => T | Promise<T>,
): Promise<T> {
  const module = await h5();
  using disk = await Deno.open(path, { read: true });
  if (!hasHdf5Signature(disk)) {
    throw new Error(
      `Cannot read ${path} as HDF5: no HDF5 signature at offset 0, 512, 1024, …`,
    );
  }
  const attached = attachFile(module.FS, disk, false);
  try {
    let file: h5wasm.File;
    try {
      file = new h5wasm.File(attached.path, "r");
    } catch (cause) {
      throw new Error(`Cannot read ${path} as HDF5: ${String(cause)}`, {
        cause,
      });
    }
    try {
      return await fn(file, attached.trace);
    } finally {
      file.close();
    }
  } finally {
    attached.detach();
  }
}

/** Options of {@linkcode writeH5File}. */
export interface WriteH5Options {
  /** HDF5 format versions to write (h5wasm's default when absent). */
  libver?: h5wasm.LIBVER_BOUNDS;
}

/**
 * Creates an HDF5 file at `path` and lets `fn` fill it; HDF5 writes to disk
 * as it goes. If `fn` throws, the file is removed.
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
  options: WriteH5Options = {},
): Promise<void> {
  const module = await h5();
  const disk = await Deno.open(path, {
    read: true,
    write: true,
    create: true,
    truncate: true,
  });
  const attached = attachFile(module.FS, disk, true);
  let ok = false;
  try {
    const file = new h5wasm.File(
      attached.path,
      "w",
      options.libver ? { libver: options.libver } : {},
    );
    try {
      await fn(file);
      ok = true;
    } finally {
      file.close();
    }
  } finally {
    attached.detach();
    disk.close();
    if (!ok) await Deno.remove(path).catch(() => {});
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 files start with a signature at 0 or after a 512·2ᵏ-byte user block. */
function hasHdf5Signature(file: Deno.FsFile): boolean {
  const size = file.statSync().size;
  const bytes = new Uint8Array(8);
  for (let at = 0; at + 8 <= size; at = at ? at * 2 : 512) {
    file.seekSync(at, Deno.SeekMode.Start);
    let done = 0;
    while (done < 8) {
      const n = file.readSync(bytes.subarray(done));
      if (n === null) return false;
      done += n;
    }
    if (SIGNATURE.every((b, i) => bytes[i] === b)) return true;
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

/** Rows and columns of a 2-D dataset (or `[1, N, D]`), else a RangeError. */
export function matrixShape(
  d: h5wasm.Dataset,
  where: string,
): { rows: number; cols: number } {
  const shape = d.shape ?? [];
  const dims = shape.length === 3 && shape[0] === 1 ? shape.slice(1) : shape;
  if (dims.length !== 2) {
    throw new RangeError(
      `${where} must be a 2-D [N, D] array: current shape is [${shape}]`,
    );
  }
  const [rows, cols] = dims as [number, number];
  return { rows, cols };
}

/**
 * Reads a 2-D numeric dataset (or `[1, N, D]`) as float32, including
 * float16 datasets, in row blocks (see {@linkcode readRows}).
 */
export async function readMatrix(
  d: h5wasm.Dataset,
  where: string,
): Promise<Matrix> {
  const { rows, cols } = matrixShape(d, where);
  return { rows, cols, data: await readRows(d, where, 0, rows) };
}

/** Options of {@linkcode readRows}. */
export interface ReadRowsOptions {
  /** Where to put the rows (default: a new array of the right length). */
  into?: Float32Array;
  /** Largest block read from the file at once (default 8 MiB, at least one row). */
  blockBytes?: number;
  /** Called after each block with the rows read so far, e.g. to check them. */
  onBlock?: (data: Float32Array, from: number, to: number) => void;
}

/**
 * Reads rows `[start, end)` of a 2-D numeric dataset (or `[1, N, D]`) as
 * float32, a block of at most `blockBytes` at a time: HDF5 reads only
 * those rows from disk, and the wasm heap holds only one block.
 *
 * @example
 * ```ts ignore
 * import { dataset, readRows, withH5File } from "./h5_file.ts";
 * const first = await withH5File("slide_1.h5", (f) =>
 *   readRows(dataset(f, "features", "slide_1"), "slide_1", 0, 100));
 * ```
 */
export async function readRows(
  d: h5wasm.Dataset,
  where: string,
  start: number,
  end: number,
  options: ReadRowsOptions = {},
): Promise<Float32Array> {
  const module = await h5();
  const { rows, cols } = matrixShape(d, where);
  if (!(0 <= start && start <= end && end <= rows)) {
    throw new RangeError(
      `${where}: rows [${start}, ${end}) are outside [0, ${rows})`,
    );
  }
  const meta = d.metadata;
  const convert = converter(meta.type, meta.size, meta.signed);
  if (!convert) {
    throw new TypeError(
      `${where} must hold numbers: current dtype is ${JSON.stringify(d.dtype)}`,
    );
  }
  const out = options.into ?? new Float32Array((end - start) * cols);
  if (out.length !== (end - start) * cols) {
    throw new RangeError(
      `${where}: rows [${start}, ${end}) need ${
        (end - start) * cols
      } floats: current output holds ${out.length}`,
    );
  }
  const rowBytes = Math.max(1, cols * meta.size);
  const block = Math.max(
    1,
    Math.floor((options.blockBytes ?? 8 * 2 ** 20) / rowBytes),
  );
  const lead = (d.shape ?? []).length === 3 ? [0n] : [];
  const ptr = module._malloc(Math.min(block, end - start) * rowBytes || 1);
  if (ptr === 0) throw new RangeError(`${where}: out of wasm memory`);
  try {
    for (let from = start; from < end; from += block) {
      const to = Math.min(end, from + block);
      const count = [...lead.map(() => 1n), BigInt(to - from), BigInt(cols)];
      const offset = [...lead, BigInt(from), 0n];
      const status = module.get_dataset_data(
        d.file_id,
        d.path,
        count,
        offset,
        count.map(() => 1n),
        BigInt(ptr),
      );
      if (status < 0) {
        throw new Error(`${where}: HDF5 could not read rows [${from}, ${to})`);
      }
      const n = (to - from) * cols;
      const target = out.subarray((from - start) * cols, (to - start) * cols);
      convert(module.HEAPU8.buffer, ptr, n, target);
      options.onBlock?.(out, from - start, to - start);
    }
  } finally {
    module._free(ptr);
  }
  return out;
}

type Convert = (
  heap: ArrayBufferLike,
  ptr: number,
  n: number,
  out: Float32Array,
) => void;
type View<T> = new (b: ArrayBufferLike, at: number, n: number) => ArrayLike<T>;

const copy = (Kind: View<number>): Convert => (heap, ptr, n, out) =>
  out.set(new Kind(heap, ptr, n));
const copyBig = (Kind: View<bigint>): Convert => (heap, ptr, n, out) => {
  const a = new Kind(heap, ptr, n);
  for (let i = 0; i < n; i++) out[i] = Number(a[i]);
};
const INTEGERS: Record<string, Convert> = {
  "1": copy(Uint8Array),
  "2": copy(Uint16Array),
  "4": copy(Uint32Array),
  "8": copyBig(BigUint64Array),
  "-1": copy(Int8Array),
  "-2": copy(Int16Array),
  "-4": copy(Int32Array),
  "-8": copyBig(BigInt64Array),
};
const FLOATS: Record<string, Convert> = {
  "2": copy(Float16Array),
  "4": copy(Float32Array),
  "8": copy(Float64Array),
};

/** How to copy values of an h5wasm numeric type (class, size) into float32. */
function converter(
  type: number,
  size: number,
  signed: boolean,
): Convert | undefined {
  if (type === 1) return FLOATS[size];
  if (type === 0) return INTEGERS[signed ? -size : size];
  return undefined;
}

/** Decodes little-endian IEEE 754 half floats. */
export function halfToFloat(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 2 === 0) {
    return new Float32Array(
      new Float16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2),
    );
  }
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
