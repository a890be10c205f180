/**
 * A {@link SlideReader} for plain tiled pyramidal TIFF (including Aperio SVS
 * with JPEG tiles) decoded by sharp/libvips, for machines without OpenSlide.
 * Levels are the tiled pages of the TIFF; metadata comes from the TIFF tags,
 * named as OpenSlide names them. Structural damage (truncation, missing
 * directories) is caught when opening; corrupt JPEG data inside a tile is
 * not (libvips decodes it without an error), where OpenSlide reports it.
 *
 * @module
 */

import sharp from "sharp";
import { describeUnreadable } from "./_diagnose.ts";
import { SlideReaderBase } from "./_slide_reader_base.ts";
import {
  checkRegion,
  type LevelDimensions,
  SlideReadError,
} from "./slide_reader.ts";
import {
  fileSource,
  readTiffLayout,
  tagNumbers,
  tagText,
} from "../../data/tiff_tags.ts";
import { tiffProperties } from "./_tiff_properties.ts";

interface Level extends LevelDimensions {
  page: number;
}

/**
 * Reads a tiled pyramidal TIFF with sharp.
 *
 * @example
 * ```ts ignore
 * import { SharpReader } from "./sharp_reader.ts";
 * const slide = SharpReader.open("slide.tiff");
 * const rgb = await slide.readRegion(0, 0, 0, 256, 256);
 * slide.close();
 * ```
 */
export class SharpReader extends SlideReaderBase {
  readonly backend = "sharp";
  #levels: Level[];
  #closed = false;

  private constructor(
    path: string,
    levels: Level[],
    properties: Record<string, string>,
  ) {
    const base = levels[0] as Level;
    super(path, {
      levelDimensions: levels.map(({ width, height }) => ({ width, height })),
      levelDownsamples: levels.map((l) =>
        (base.width / l.width + base.height / l.height) / 2
      ),
      properties,
      defaultVendor: "generic-tiff",
    });
    this.#levels = levels;
  }

  /**
   * Opens `path`; throws {@link SlideReadError} when it is missing, not a
   * TIFF, not tiled, or its tile data runs past the end of the file.
   */
  static open(path: string): SharpReader {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (cause) {
      throw new SlideReadError(
        path,
        `Cannot open slide ${path}: file not found`,
        { cause },
      );
    }
    try {
      const src = fileSource(file);
      let layout;
      try {
        layout = readTiffLayout(src, path);
      } catch (cause) {
        throw new SlideReadError(
          path,
          `Cannot open slide ${path} with sharp: expected a tiled pyramidal TIFF, but ${
            describeUnreadable(path)
          }`,
          { cause },
        );
      }
      const levels: Level[] = [];
      layout.directories.forEach((dir, page) => {
        const tiled = dir.tags.has(322) && dir.tags.has(324);
        const w = dir.tags.get(256);
        const h = dir.tags.get(257);
        if (!tiled || !w || !h) return;
        const width = tagNumbers(src, layout, w)[0] ?? 0;
        const height = tagNumbers(src, layout, h)[0] ?? 0;
        const prev = levels.at(-1);
        if (prev && (width >= prev.width || height >= prev.height)) return;
        const offsets = tagNumbers(src, layout, dir.tags.get(324)!);
        const counts = dir.tags.get(325);
        const sizes = counts ? tagNumbers(src, layout, counts) : [];
        let end = 0;
        offsets.forEach((o, i) => (end = Math.max(end, o + (sizes[i] ?? 0))));
        if (end > src.size) {
          throw new SlideReadError(
            path,
            `Cannot open slide ${path}: tile data of page ${page} runs to byte ${end} but the file has ${src.size} bytes (truncated?)`,
          );
        }
        levels.push({ page, width, height });
      });
      const first = layout.directories[0];
      if (levels.length === 0 || levels[0]?.page !== 0 || !first) {
        throw new SlideReadError(
          path,
          `Cannot open slide ${path} with sharp: expected a tiled pyramidal TIFF, but found a stripped (untiled) TIFF of ${layout.directories.length} page(s)`,
        );
      }
      const description = first.tags.get(270);
      const text = description ? tagText(src, description) : "";
      const xres = first.tags.get(282);
      const unit = first.tags.get(296);
      return new SharpReader(
        path,
        levels,
        tiffProperties(text, {
          xResolution: xres ? tagNumbers(src, layout, xres)[0] : undefined,
          resolutionUnit: unit ? tagNumbers(src, layout, unit)[0] : undefined,
        }),
      );
    } finally {
      file.close();
    }
  }

  async readRegion(
    x: number,
    y: number,
    level: number,
    width: number,
    height: number,
  ): Promise<Uint8Array> {
    checkRegion(this, level, width, height);
    if (this.#closed) {
      throw new SlideReadError(
        this.path,
        `Cannot read slide ${this.path}: the reader is closed`,
      );
    }
    const lv = this.#levels[level] as Level;
    const ds = this.levelDownsamples[level] as number;
    const lx = Math.round(x / ds);
    const ly = Math.round(y / ds);
    const left = Math.max(0, lx);
    const top = Math.max(0, ly);
    const right = Math.min(lv.width, lx + width);
    const bottom = Math.min(lv.height, ly + height);
    if (right <= left || bottom <= top) {
      return new Uint8Array(width * height * 3).fill(255);
    }
    let data: Uint8Array;
    try {
      const { data: buf, info } = await sharp(this.path, {
        page: lv.page,
        limitInputPixels: false,
      })
        .extract({ left, top, width: right - left, height: bottom - top })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) {
        throw new Error(`expected 3 channels, got ${info.channels}`);
      }
      data = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      throw new SlideReadError(
        this.path,
        `Cannot read region (${x}, ${y}) level ${level} ${width}×${height} of slide ${this.path} with sharp: ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
    if (
      left === lx && top === ly && right - left === width &&
      bottom - top === height
    ) {
      return data;
    }
    const out = new Uint8Array(width * height * 3).fill(255);
    const rowBytes = (right - left) * 3;
    for (let r = 0; r < bottom - top; r++) {
      const src = r * rowBytes;
      out.set(
        data.subarray(src, src + rowBytes),
        ((top - ly + r) * width + (left - lx)) * 3,
      );
    }
    return out;
  }

  close(): void {
    this.#closed = true;
  }
}
