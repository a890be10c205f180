/**
 * The reader factory: one call that opens a slide with OpenSlide when the
 * library loads, else with sharp.
 *
 * @module
 */

import { openSlideAvailable, OpenSlideReader } from "./openslide_reader.ts";
import { SharpReader } from "./sharp_reader.ts";
import type { SlideReader } from "./slide_reader.ts";

/** Which reader to use: `auto` prefers OpenSlide and falls back to sharp. */
export type ReaderKind = "auto" | "openslide" | "sharp";

/** Options of {@link openSlide}. */
export interface OpenSlideOptions {
  /** Reader backend (default `"auto"`). */
  reader?: ReaderKind;
  /** Where the one-line fallback warning goes (default `console.warn`). */
  warn?: (message: string) => void;
}

let warned = false;

/** The backend `auto` resolves to in this process. */
export function resolveReaderKind(
  kind: ReaderKind = "auto",
): "openslide" | "sharp" {
  if (kind !== "auto") return kind;
  return openSlideAvailable() ? "openslide" : "sharp";
}

/**
 * Opens a whole-slide image. With `reader: "auto"` (the default) it uses
 * OpenSlide when `libopenslide.so.0` loads, else sharp after a one-line
 * warning (printed once per process). Throws a `SlideReadError` naming the
 * slide when the file is missing or unreadable.
 *
 * @example
 * ```ts ignore
 * import { openSlide } from "./open_slide.ts";
 * const slide = openSlide("slide.svs");
 * console.log(slide.vendor, slide.mpp, slide.levelDimensions[0]);
 * slide.close();
 * ```
 */
export function openSlide(
  path: string,
  options: OpenSlideOptions = {},
): SlideReader {
  const kind = options.reader ?? "auto";
  if (kind !== "auto" && kind !== "openslide" && kind !== "sharp") {
    throw new RangeError(
      `Cannot open slide ${path}: reader must be "auto", "openslide" or "sharp", got ${
        JSON.stringify(kind)
      }`,
    );
  }
  const resolved = resolveReaderKind(kind);
  if (kind === "auto" && resolved === "sharp" && !warned) {
    warned = true;
    (options.warn ?? console.warn)(
      "asmil: OpenSlide (libopenslide.so.0) is not loadable; reading slides with sharp (tiled TIFF/SVS only)",
    );
  }
  return resolved === "openslide"
    ? OpenSlideReader.open(path)
    : SharpReader.open(path);
}
