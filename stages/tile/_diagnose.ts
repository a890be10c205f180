/**
 * Why a file is not a readable slide, in words: what its first bytes say it
 * is, or what is wrong with its TIFF structure. Used when OpenSlide only
 * answers "not recognised".
 *
 * @module
 */

import { fileSource, readTiffLayout } from "../../data/tiff_tags.ts";

const MAGIC: Array<[string, number[]]> = [
  ["a PNG image", [0x89, 0x50, 0x4e, 0x47]],
  ["a JPEG image", [0xff, 0xd8, 0xff]],
  ["a GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["a ZIP archive", [0x50, 0x4b, 0x03, 0x04]],
  ["a gzip file", [0x1f, 0x8b]],
  ["a PDF document", [0x25, 0x50, 0x44, 0x46]],
];

/** A short description of what `path` is, for an error message. */
export function describeUnreadable(path: string): string {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return "the file cannot be opened";
  }
  try {
    const src = fileSource(file);
    if (src.size === 0) return "the file is empty";
    const head = src.read(0, 8);
    const kind = MAGIC.find(([, magic]) =>
      magic.every((b, i) => head[i] === b)
    );
    if (kind) return `found ${kind[0]}, not a whole-slide format`;
    let layout;
    try {
      layout = readTiffLayout(src, path);
    } catch (error) {
      return (error as Error).message.includes("byte order")
        ? `found an unknown format (first bytes ${
          [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0"))
            .join(" ")
        })`
        : `the TIFF structure is broken: ${(error as Error).message}`;
    }
    const first = layout.directories[0];
    if (!first || !first.tags.has(322)) {
      return "found a stripped (untiled) TIFF; slides must be tiled pyramidal TIFF";
    }
    return "the format is not recognised";
  } finally {
    file.close();
  }
}
