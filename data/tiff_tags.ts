/**
 * A minimal reader of classic and BigTIFF image file directories (IFDs): the
 * tags each page carries, enough to tell a tiled pyramid from a stripped
 * image and to read its ImageDescription and resolution.
 *
 * @module
 */

/** One tag of an image file directory, with its value decoded when small. */
export interface TiffTag {
  /** Tag number, e.g. 270 for ImageDescription. */
  tag: number;
  /** TIFF field type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 16 LONG8, …). */
  type: number;
  /** Number of values. */
  count: number;
  /** Byte offset of the entry itself within the file. */
  entryOffset: number;
  /** Byte offset of the value (the entry's value field when it fits inline). */
  valueOffset: number;
}

/** One image file directory: its offset and its tags by number. */
export interface TiffDirectory {
  offset: number;
  tags: Map<number, TiffTag>;
}

/** Random access to the bytes of a TIFF, in memory or on disk. */
export interface TiffSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Uint8Array;
}

/** A {@link TiffSource} over bytes in memory. */
export function bytesSource(bytes: Uint8Array): TiffSource {
  return {
    size: bytes.length,
    read: (offset, length) =>
      bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/**
 * A {@link TiffSource} over an open file, reading only the bytes asked for
 * (a slide can be gigabytes; its directories are a few kilobytes).
 */
export function fileSource(file: Deno.FsFile): TiffSource {
  const size = file.statSync().size;
  return {
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      file.seekSync(offset, Deno.SeekMode.Start);
      let got = 0;
      while (got < n) {
        const r = file.readSync(out.subarray(got));
        if (r === null || r === 0) break;
        got += r;
      }
      return out.subarray(0, got);
    },
  };
}

/** Parsed structure of a TIFF file. */
export interface TiffLayout {
  littleEndian: boolean;
  bigTiff: boolean;
  /** Byte offset of the header field that points at the first IFD. */
  firstIfdPointer: number;
  directories: TiffDirectory[];
}

const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  16: 8,
  17: 8,
  18: 8,
};

/**
 * Parses the header and every IFD of a TIFF held in memory.
 *
 * Throws a `TypeError` naming `name` when the bytes are not a TIFF or an IFD
 * points outside the file (e.g. a truncated download).
 *
 * @example
 * ```ts
 * import { readTiffLayout } from "./tiff_tags.ts";
 * const header = new Uint8Array([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
 * const layout = readTiffLayout(header, "empty.tiff");
 * if (layout.directories.length !== 1) throw new Error("one empty IFD");
 * ```
 */
export function readTiffLayout(
  input: Uint8Array | TiffSource,
  name: string,
): TiffLayout {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const at = (offset: number, length: number): DataView => {
    const b = src.read(offset, length);
    if (b.length < length) {
      throw new TypeError(
        `Cannot read ${name} as TIFF: expected ${length} bytes at offset ${offset}, but the file has ${src.size} bytes (truncated?)`,
      );
    }
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  };
  const head = src.read(0, 16);
  const order = head.length >= 8
    ? String.fromCharCode(head[0] ?? 0, head[1] ?? 0)
    : "";
  if (order !== "II" && order !== "MM") {
    throw new TypeError(
      `Cannot read ${name} as TIFF: expected byte order "II" or "MM" at offset 0, found ${
        JSON.stringify(String.fromCharCode(...head.subarray(0, 4)))
      }`,
    );
  }
  const le = order === "II";
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = hv.getUint16(2, le);
  if (magic !== 42 && magic !== 43) {
    throw new TypeError(
      `Cannot read ${name} as TIFF: expected version 42 or 43, found ${magic}`,
    );
  }
  const big = magic === 43;
  const ptr = (dv: DataView, o: number) =>
    big ? Number(dv.getBigUint64(o, le)) : dv.getUint32(o, le);
  const firstIfdPointer = big ? 8 : 4;
  const entrySize = big ? 20 : 12;
  const countSize = big ? 8 : 2;
  const pointerSize = big ? 8 : 4;
  const directories: TiffDirectory[] = [];
  const seen = new Set<number>();
  let offset = ptr(at(firstIfdPointer, pointerSize), 0);
  while (offset !== 0) {
    if (seen.has(offset)) {
      throw new TypeError(
        `Cannot read ${name} as TIFF: IFD chain loops back to byte ${offset}`,
      );
    }
    seen.add(offset);
    const cv = at(offset, countSize);
    const n = big ? Number(cv.getBigUint64(0, le)) : cv.getUint16(0, le);
    const dv = at(offset + countSize, n * entrySize + pointerSize);
    const tags = new Map<number, TiffTag>();
    for (let i = 0; i < n; i++) {
      const e = i * entrySize;
      const tag = dv.getUint16(e, le);
      const type = dv.getUint16(e + 2, le);
      const count = big
        ? Number(dv.getBigUint64(e + 4, le))
        : dv.getUint32(e + 4, le);
      const valueField = e + (big ? 12 : 8);
      const size = (TYPE_SIZE[type] ?? 1) * count;
      const entryOffset = offset + countSize + e;
      const valueOffset = size <= pointerSize
        ? entryOffset + (big ? 12 : 8)
        : ptr(dv, valueField);
      tags.set(tag, { tag, type, count, entryOffset, valueOffset });
    }
    directories.push({ offset, tags });
    offset = ptr(dv, n * entrySize);
  }
  return { littleEndian: le, bigTiff: big, firstIfdPointer, directories };
}

/** The numeric values of a SHORT/LONG/LONG8/RATIONAL tag (rationals as floats). */
export function tagNumbers(
  input: Uint8Array | TiffSource,
  layout: TiffLayout,
  tag: TiffTag,
): number[] {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const size = TYPE_SIZE[tag.type] ?? 1;
  const bytes = src.read(tag.valueOffset, size * tag.count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = layout.littleEndian;
  const out: number[] = [];
  for (let i = 0; i < tag.count; i++) {
    const at = i * size;
    if (at + size > bytes.length) break;
    if (tag.type === 3) out.push(dv.getUint16(at, le));
    else if (tag.type === 4) out.push(dv.getUint32(at, le));
    else if (tag.type === 16) out.push(Number(dv.getBigUint64(at, le)));
    else if (tag.type === 5) {
      const den = dv.getUint32(at + 4, le);
      out.push(den === 0 ? 0 : dv.getUint32(at, le) / den);
    } else out.push(bytes[at] ?? 0);
  }
  return out;
}

/** The text of an ASCII tag, without its trailing NUL. */
export function tagText(input: Uint8Array | TiffSource, tag: TiffTag): string {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  let text = new TextDecoder().decode(src.read(tag.valueOffset, tag.count));
  while (text.endsWith("\0")) text = text.slice(0, -1);
  return text;
}
