/**
 * Sets the ImageDescription tag of a TIFF's first page. sharp (libvips) writes
 * tiled pyramidal TIFF but has no option for the description, and OpenSlide
 * recognises an Aperio slide by that description, so the cohort writer
 * patches it in afterwards.
 *
 * @module
 */

import { readTiffLayout } from "../tiff_tags.ts";

const IMAGE_DESCRIPTION = 270;

/**
 * Returns a copy of a classic (non-Big) TIFF whose first IFD carries
 * `description` as its ImageDescription. The old IFD stays in place but is
 * no longer referenced; the new IFD and the text are appended, so every
 * other offset in the file stays valid.
 *
 * @example
 * ```ts
 * import { withImageDescription } from "./image_description.ts";
 * import { readTiffLayout, tagText } from "../tiff_tags.ts";
 * const empty = new Uint8Array([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
 * const out = withImageDescription(empty, "Aperio Image Library|MPP = 0.5", "x.tiff");
 * const tag = readTiffLayout(out, "x.tiff").directories[0]?.tags.get(270);
 * if (!tag || tagText(out, tag) !== "Aperio Image Library|MPP = 0.5") throw new Error();
 * ```
 */
export function withImageDescription(
  tiff: Uint8Array,
  description: string,
  name: string,
): Uint8Array {
  const layout = readTiffLayout(tiff, name);
  if (layout.bigTiff) {
    throw new TypeError(
      `Cannot set the ImageDescription of ${name}: expected a classic TIFF, found BigTIFF`,
    );
  }
  const first = layout.directories[0];
  if (!first) {
    throw new TypeError(
      `Cannot set the ImageDescription of ${name}: it has no IFD`,
    );
  }
  const le = layout.littleEndian;
  const inDv = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const text = new TextEncoder().encode(description + "\0");
  const textOffset = tiff.length + (tiff.length % 2);
  const ifdOffset = textOffset + text.length + (text.length % 2);
  const kept = [...first.tags.values()].filter((t) =>
    t.tag !== IMAGE_DESCRIPTION
  );
  const count = kept.length + 1;
  const total = ifdOffset + 2 + count * 12 + 4;
  if (total > 0xffffffff) {
    throw new RangeError(
      `Cannot set the ImageDescription of ${name}: the result would exceed 4 GiB (${total} bytes)`,
    );
  }
  const out = new Uint8Array(total);
  out.set(tiff);
  out.set(text, textOffset);
  const dv = new DataView(out.buffer);
  dv.setUint16(ifdOffset, count, le);
  const entries: Array<{ tag: number; write: (at: number) => void }> = kept.map(
    (t) => ({
      tag: t.tag,
      write: (at: number) =>
        out.set(tiff.subarray(t.entryOffset, t.entryOffset + 12), at),
    }),
  );
  entries.push({
    tag: IMAGE_DESCRIPTION,
    write: (at: number) => {
      dv.setUint16(at, IMAGE_DESCRIPTION, le);
      dv.setUint16(at + 2, 2, le);
      dv.setUint32(at + 4, text.length, le);
      if (text.length <= 4) out.set(text, at + 8);
      else dv.setUint32(at + 8, textOffset, le);
    },
  });
  entries.sort((a, b) => a.tag - b.tag);
  entries.forEach((e, i) => e.write(ifdOffset + 2 + i * 12));
  const oldNext = inDv.getUint32(first.offset + 2 + first.tags.size * 12, le);
  dv.setUint32(ifdOffset + 2 + count * 12, oldNext, le);
  dv.setUint32(layout.firstIfdPointer, ifdOffset, le);
  return out;
}
