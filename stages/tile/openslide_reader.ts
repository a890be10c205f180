/**
 * A {@link SlideReader} backed by the system OpenSlide library
 * (`libopenslide.so.0`) through `Deno.dlopen`. Reads Aperio SVS, generic
 * tiled TIFF and the other vendor formats OpenSlide knows. Needs
 * `--allow-ffi`.
 *
 * @module
 */

import { describeUnreadable } from "./_diagnose.ts";
import { type OpenedSlide, SlideReaderBase } from "./_slide_reader_base.ts";
import {
  checkRegion,
  type LevelDimensions,
  SlideReadError,
} from "./slide_reader.ts";

const SYMBOLS = {
  openslide_open: { parameters: ["buffer"], result: "pointer" },
  openslide_close: { parameters: ["pointer"], result: "void" },
  openslide_get_error: { parameters: ["pointer"], result: "pointer" },
  openslide_get_level_count: { parameters: ["pointer"], result: "i32" },
  openslide_get_level_dimensions: {
    parameters: ["pointer", "i32", "buffer", "buffer"],
    result: "void",
  },
  openslide_get_level_downsample: {
    parameters: ["pointer", "i32"],
    result: "f64",
  },
  openslide_get_property_names: { parameters: ["pointer"], result: "pointer" },
  openslide_get_property_value: {
    parameters: ["pointer", "buffer"],
    result: "pointer",
  },
  openslide_read_region: {
    parameters: ["pointer", "buffer", "i64", "i64", "i32", "i64", "i64"],
    result: "void",
    nonblocking: true,
  },
  openslide_get_version: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type OpenSlideLib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let loaded: { lib: OpenSlideLib } | { error: Error } | undefined;

/**
 * Loads `libopenslide.so.0` once and returns its symbols; throws an error
 * saying what failed when the library (or FFI permission) is missing.
 */
export function loadOpenSlide(): OpenSlideLib {
  if (!loaded) {
    try {
      loaded = { lib: Deno.dlopen("libopenslide.so.0", SYMBOLS).symbols };
    } catch (cause) {
      loaded = {
        error: new Error(
          `Cannot load OpenSlide: expected libopenslide.so.0 to load via FFI, got: ${
            (cause as Error).message
          }`,
          { cause },
        ),
      };
    }
  }
  if ("error" in loaded) throw loaded.error;
  return loaded.lib;
}

/** Whether OpenSlide can be loaded in this process. */
export function openSlideAvailable(): boolean {
  try {
    loadOpenSlide();
    return true;
  } catch {
    return false;
  }
}

/** The OpenSlide library version, e.g. `"3.4.1"`. */
export function openSlideVersion(): string {
  const p = loadOpenSlide().openslide_get_version();
  return p ? Deno.UnsafePointerView.getCString(p) : "unknown";
}

function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text + "\0");
}

/**
 * Reads a slide with OpenSlide.
 *
 * @example
 * ```ts ignore
 * import { OpenSlideReader } from "./openslide_reader.ts";
 * const slide = OpenSlideReader.open("slide.svs");
 * const rgb = await slide.readRegion(0, 0, 0, 256, 256); // 256·256·3 bytes
 * slide.close();
 * ```
 */
export class OpenSlideReader extends SlideReaderBase {
  readonly backend = "openslide";
  #lib: OpenSlideLib;
  #osr: Deno.PointerValue;
  /** Extra handles on the same file: OpenSlide serialises reads per handle. */
  #handles: Deno.PointerObject[];
  #turn = 0;
  /** Reused ARGB buffers: fresh 256 KiB buffers cost page faults on every read. */
  #buffers: Uint32Array[] = [];

  private constructor(
    path: string,
    lib: OpenSlideLib,
    osr: Deno.PointerObject,
    handles: number,
  ) {
    super(path, readOpenedSlide(path, lib, osr));
    this.#lib = lib;
    this.#osr = osr;
    this.#handles = [osr];
    for (let i = 1; i < handles; i++) {
      const extra = lib.openslide_open(cString(path));
      if (extra === null || lib.openslide_get_error(extra) !== null) {
        if (extra !== null) lib.openslide_close(extra);
        break;
      }
      this.#handles.push(extra);
    }
  }

  /**
   * Opens `path`; throws {@link SlideReadError} when OpenSlide cannot.
   * `handles` (default 2) OpenSlide handles are opened so that concurrent
   * reads decode in parallel.
   */
  static open(
    path: string,
    options: { handles?: number } = {},
  ): OpenSlideReader {
    const lib = loadOpenSlide();
    try {
      Deno.statSync(path);
    } catch (cause) {
      throw new SlideReadError(
        path,
        `Cannot open slide ${path}: file not found`,
        { cause },
      );
    }
    const osr = lib.openslide_open(cString(path));
    if (osr === null) {
      throw new SlideReadError(
        path,
        `Cannot open slide ${path} with OpenSlide: expected a supported whole-slide format (SVS, tiled TIFF, NDPI, MRXS, …), but ${
          describeUnreadable(path)
        }`,
      );
    }
    return new OpenSlideReader(
      path,
      lib,
      osr,
      Math.max(1, options.handles ?? 2),
    );
  }

  #error(osr: Deno.PointerValue = this.#osr): string | undefined {
    if (this.#osr === null || osr === null) return "the reader is closed";
    const p = this.#lib.openslide_get_error(osr);
    return p ? Deno.UnsafePointerView.getCString(p) : undefined;
  }

  /**
   * Throws OpenSlide's error for `osr`, if any. While opening, the handles
   * are closed; after a failed read they stay open (other reads may still be
   * running on them) until the caller closes the reader.
   */
  #throwIfFailed(
    what: string,
    osr: Deno.PointerValue = this.#osr,
    closeOnError = true,
  ): void {
    const error = this.#error(osr);
    if (error === undefined) return;
    if (closeOnError) this.close();
    throw new SlideReadError(
      this.path,
      `Cannot ${what} slide ${this.path}: OpenSlide says ${error}`,
    );
  }

  async readRegion(
    x: number,
    y: number,
    level: number,
    width: number,
    height: number,
  ): Promise<Uint8Array> {
    checkRegion(this, level, width, height);
    if (this.#osr === null) {
      throw new SlideReadError(
        this.path,
        `Cannot read slide ${this.path}: the reader is closed`,
      );
    }
    const size = width * height;
    const reuse = this.#buffers.findIndex((b) => b.length === size);
    const argb = reuse >= 0
      ? this.#buffers.splice(reuse, 1)[0]!
      : new Uint32Array(size);
    const osr = this.#handles[this.#turn++ % this.#handles.length] ?? this.#osr;
    try {
      await this.#lib.openslide_read_region(
        osr,
        argb,
        BigInt(Math.round(x)),
        BigInt(Math.round(y)),
        level,
        BigInt(width),
        BigInt(height),
      );
      this.#throwIfFailed(
        `read region (${x}, ${y}) level ${level} ${width}×${height} of`,
        osr,
        false,
      );
      return premultipliedArgbToRgb(argb);
    } finally {
      if (this.#buffers.length < 16) this.#buffers.push(argb);
    }
  }

  close(): void {
    if (this.#osr === null) return;
    for (const osr of this.#handles) this.#lib.openslide_close(osr);
    this.#handles = [];
    this.#osr = null;
  }
}

/**
 * The levels and properties of the slide OpenSlide opened as `osr`; closes
 * `osr` and throws {@link SlideReadError} when OpenSlide reports an error.
 */
function readOpenedSlide(
  path: string,
  lib: OpenSlideLib,
  osr: Deno.PointerObject,
): OpenedSlide {
  const throwIfFailed = (what: string) => {
    const p = lib.openslide_get_error(osr);
    if (!p) return;
    const error = Deno.UnsafePointerView.getCString(p);
    lib.openslide_close(osr);
    throw new SlideReadError(
      path,
      `Cannot ${what} slide ${path}: OpenSlide says ${error}`,
    );
  };
  throwIfFailed("open");
  const properties: Record<string, string> = {};
  const names = lib.openslide_get_property_names(osr);
  const view = names ? new Deno.UnsafePointerView(names) : undefined;
  for (let i = 0; view !== undefined; i++) {
    const p = view.getPointer(i * 8);
    if (!p) break;
    const name = Deno.UnsafePointerView.getCString(p);
    const v = lib.openslide_get_property_value(osr, cString(name));
    properties[name] = v ? Deno.UnsafePointerView.getCString(v) : "";
  }
  const levelDimensions: LevelDimensions[] = [];
  const levelDownsamples: number[] = [];
  const w = new BigInt64Array(1);
  const h = new BigInt64Array(1);
  const levels = lib.openslide_get_level_count(osr);
  for (let level = 0; level < levels; level++) {
    lib.openslide_get_level_dimensions(osr, level, w, h);
    levelDimensions.push({ width: Number(w[0]), height: Number(h[0]) });
    levelDownsamples.push(lib.openslide_get_level_downsample(osr, level));
  }
  throwIfFailed("read the levels of");
  return {
    levelDimensions,
    levelDownsamples,
    properties,
    defaultVendor: "unknown",
  };
}

/**
 * Converts OpenSlide's premultiplied ARGB words to RGB composited on white:
 * with premultiplied colour `c` and alpha `a`, `c + (255 − a)` is exactly
 * `a·colour + (1 − a)·white`.
 */
export function premultipliedArgbToRgb(argb: Uint32Array): Uint8Array {
  const rgb = new Uint8Array(argb.length * 3);
  for (let i = 0, o = 0; i < argb.length; i++, o += 3) {
    const p = argb[i] as number;
    if (p >>> 24 === 255) {
      rgb[o] = p >>> 16;
      rgb[o + 1] = p >>> 8;
      rgb[o + 2] = p;
      continue;
    }
    const white = 255 - (p >>> 24);
    rgb[o] = ((p >>> 16) & 255) + white;
    rgb[o + 1] = ((p >>> 8) & 255) + white;
    rgb[o + 2] = (p & 255) + white;
  }
  return rgb;
}
