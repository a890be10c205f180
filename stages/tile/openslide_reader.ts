/**
 * A {@link SlideReader} backed by the system OpenSlide library
 * (`libopenslide.so.0`) through `Deno.dlopen`. Reads Aperio SVS, generic
 * tiled TIFF and the other vendor formats OpenSlide knows. Needs
 * `--allow-ffi`.
 *
 * @module
 */

import { describeUnreadable } from "./_diagnose.ts";
import { thumbnailFromLevels } from "./_thumbnail.ts";
import {
  checkRegion,
  type LevelDimensions,
  type SlideReader,
  SlideReadError,
  type SlideThumbnail,
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
export class OpenSlideReader implements SlideReader {
  readonly backend = "openslide";
  readonly path: string;
  readonly vendor: string;
  readonly levelCount: number;
  readonly levelDimensions: readonly LevelDimensions[];
  readonly levelDownsamples: readonly number[];
  readonly mpp: number | undefined;
  readonly magnification: number | undefined;
  readonly properties: Readonly<Record<string, string>>;
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
    this.path = path;
    this.#lib = lib;
    this.#osr = osr;
    this.#handles = [osr];
    this.#throwIfFailed("open");
    this.properties = this.#readProperties();
    this.vendor = this.properties["openslide.vendor"] ?? "unknown";
    this.levelCount = lib.openslide_get_level_count(osr);
    const dims: LevelDimensions[] = [];
    const downsamples: number[] = [];
    const w = new BigInt64Array(1);
    const h = new BigInt64Array(1);
    for (let level = 0; level < this.levelCount; level++) {
      lib.openslide_get_level_dimensions(osr, level, w, h);
      dims.push({ width: Number(w[0]), height: Number(h[0]) });
      downsamples.push(lib.openslide_get_level_downsample(osr, level));
    }
    this.levelDimensions = dims;
    this.levelDownsamples = downsamples;
    this.#throwIfFailed("read the levels of");
    for (let i = 1; i < handles; i++) {
      const extra = lib.openslide_open(cString(path));
      if (extra === null || lib.openslide_get_error(extra) !== null) {
        if (extra !== null) lib.openslide_close(extra);
        break;
      }
      this.#handles.push(extra);
    }
    const mpp = Number(this.properties["openslide.mpp-x"]);
    this.mpp = mpp > 0 ? mpp : undefined;
    const mag = Number(this.properties["openslide.objective-power"]);
    this.magnification = mag > 0 ? mag : undefined;
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

  #readProperties(): Record<string, string> {
    const props: Record<string, string> = {};
    const names = this.#lib.openslide_get_property_names(this.#osr);
    if (!names) return props;
    const view = new Deno.UnsafePointerView(names);
    for (let i = 0;; i++) {
      const p = view.getPointer(i * 8);
      if (!p) break;
      const name = Deno.UnsafePointerView.getCString(p);
      const v = this.#lib.openslide_get_property_value(
        this.#osr,
        cString(name),
      );
      props[name] = v ? Deno.UnsafePointerView.getCString(v) : "";
    }
    return props;
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

  thumbnail(downsample: number): Promise<SlideThumbnail> {
    return thumbnailFromLevels(this, downsample);
  }

  close(): void {
    if (this.#osr === null) return;
    for (const osr of this.#handles) this.#lib.openslide_close(osr);
    this.#handles = [];
    this.#osr = null;
  }
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
