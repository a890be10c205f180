/**
 * The binary format of asmil's weight and checkpoint files: 8 bytes of
 * magic (which file it is, and its version), a little-endian uint32 header
 * length, a UTF-8 JSON header, zero padding to a multiple of 4 bytes, then
 * float32 arrays (little-endian) at the byte offsets the header gives,
 * counted from the end of the padding.
 *
 * @module
 */

/** Which file a magic stands for, in the words of an error message. */
export interface TensorFileFormat {
  /** Exactly 8 ASCII characters, e.g. `ASMILWT1`. */
  magic: string;
  /** What the file is, after "is not": e.g. `"an asmil weight file"`. */
  kind: string;
}

/**
 * Collects float32 arrays for one file: each {@link add} returns the byte
 * offset the array will have, for the header to record.
 *
 * @example
 * ```ts
 * import { decodeTensorFile, TensorFileWriter } from "./tensor_file.ts";
 * const format = { magic: "DEMOFMT1", kind: "a demo file" };
 * const file = new TensorFileWriter();
 * const header = { x: file.add(Float32Array.of(1, 2)), y: file.add(Float32Array.of(3)) };
 * const read = decodeTensorFile<typeof header>(file.encode(format, header), format, "demo");
 * if (read.array(read.header.y, 1, "y")[0] !== 3) throw new Error("y comes back");
 * ```
 */
export class TensorFileWriter {
  #arrays: Float32Array[] = [];
  #bytes = 0;

  /** Appends `values`; returns their byte offset in the data section. */
  add(values: Float32Array): number {
    const offset = this.#bytes;
    this.#arrays.push(values);
    this.#bytes += values.byteLength;
    return offset;
  }

  /** The file: `format`'s magic, `header` as JSON, the arrays added. */
  encode(format: TensorFileFormat, header: unknown): Uint8Array {
    const magic = new TextEncoder().encode(format.magic);
    if (magic.length !== 8) {
      throw new RangeError(
        `A tensor file's magic must be 8 ASCII bytes: got "${format.magic}" (${magic.length} bytes)`,
      );
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const start = dataStart(json.length);
    const bytes = new Uint8Array(start + this.#bytes);
    bytes.set(magic, 0);
    new DataView(bytes.buffer).setUint32(8, json.length, true);
    bytes.set(json, 12);
    let at = start;
    for (const a of this.#arrays) {
      bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      at += a.byteLength;
    }
    return bytes;
  }
}

/** A decoded file: its header and its arrays by offset. */
export interface TensorFile<H> {
  header: H;
  /**
   * The `length` float32 values at byte `offset`; throws naming `label`
   * (e.g. `tensor "fc.w"`) when the file ends before them.
   */
  array(offset: number, length: number, label: string): Float32Array;
}

/**
 * Parses bytes written by {@link TensorFileWriter}; throws, naming `what`
 * (e.g. the path), when they do not start with `format`'s magic or end
 * inside the header. The header is returned as parsed, unchecked.
 */
export function decodeTensorFile<H>(
  bytes: Uint8Array,
  format: TensorFileFormat,
  what: string,
): TensorFile<H> {
  const found = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < 12 || found !== format.magic) {
    throw new Error(
      `${what} is not ${format.kind}: expected it to start with "${format.magic}", got ${
        JSON.stringify(found)
      }`,
    );
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(
    8,
    true,
  );
  if (12 + length > bytes.length) {
    throw new Error(
      `${what} is truncated: its header needs bytes up to ${
        12 + length
      }, the file has ${bytes.length}`,
    );
  }
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(12, 12 + length)),
  ) as H;
  // A copy, so every array is 4-byte aligned whatever `bytes` was.
  const data = bytes.slice(dataStart(length));
  return {
    header,
    array(offset, size, label) {
      if (offset + size * 4 > data.length) {
        throw new Error(
          `${what} is truncated: ${label} needs bytes up to ${
            offset + size * 4
          }, the data has ${data.length}`,
        );
      }
      return new Float32Array(data.buffer, offset, size);
    },
  };
}

/** Where the data section starts after a header of `headerBytes`. */
function dataStart(headerBytes: number): number {
  return Math.ceil((12 + headerBytes) / 4) * 4;
}
