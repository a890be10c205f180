/**
 * What every heatmap of one slide is drawn on: the tiles behind a run's
 * attention on it (its bag's tiles, in bag order), a thumbnail read from the slide file (a blank one of the slide's shape when
 * the file cannot be read) and the tumour mask at the thumbnail's size, from
 * the ground-truth mask beside the slide (`<stem>.tumour.png`, the tile
 * stage's convention) or else from the labels of all its tiles. Read once per slide, so a
 * slide drawn at many epochs opens its file once.
 *
 * @module
 */

import sharp from "sharp";
import type { Store } from "../../data/store.ts";
import { tumourMaskPath } from "../tile/ground_truth.ts";
import { openSlide } from "../tile/open_slide.ts";
import type { SlideReader } from "../tile/slide_reader.ts";
import { type HeatmapBase, tileMask } from "./heatmap.ts";

/** A tile as the heatmaps need it. */
export type TileRow = {
  tile: number;
  x: number;
  y: number;
  size: number;
  level: number;
  label: number | null;
};

/** Options of {@link openSlideBase}. */
export interface SlideBaseOptions {
  store: Store;
  /** The run whose attention is drawn: its bags say which tiles it covers. */
  run: string;
  slide: string;
  /** Longest side of the thumbnail in pixels (default 768). */
  maxSide?: number;
  /** Opens the slide file (default `openSlide`). */
  open?: (path: string) => SlideReader;
}

/** A slide's tiles, thumbnail and tumour mask. */
export interface SlideBase {
  /** The run's bag of the slide: attention entry i belongs to `tiles[i]`. */
  tiles: TileRow[];
  base: HeatmapBase;
  /** `slide`: the slide's own thumbnail; `blank`: the file could not be read. */
  background: "slide" | "blank";
  /** Tumour mask at the thumbnail's size (1 = tumour), when annotated. */
  tumour?: Uint8Array;
  /** Where the tumour outline comes from, if there is one. */
  outline: "mask" | "tiles" | null;
  /** The open slide file (null when blank): the caller closes it. */
  reader: SlideReader | null;
  /** Why the slide file was not used, when it was not. */
  note?: string;
}

async function groundTruthMask(slidePath: string): Promise<string | null> {
  const path = tumourMaskPath(slidePath);
  return await Deno.stat(path).then(
    (info) => (info.isFile ? path : null),
    () => null,
  );
}

async function maskAt(
  path: string,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const grey = await sharp(path).greyscale().resize(width, height, {
    fit: "fill",
    kernel: "nearest",
  })
    .raw().toBuffer();
  return Uint8Array.from(grey, (v) => (v > 127 ? 1 : 0));
}

/**
 * Reads `slide`'s bag tiles in `run`, thumbnail and tumour mask. The returned `reader`
 * is left open (for reading tiles at full resolution): close it.
 */
export async function openSlideBase(
  options: SlideBaseOptions,
): Promise<SlideBase> {
  const { store, run, slide } = options;
  const tiles: TileRow[] = await store.attentionTiles(run, slide);
  // Every tile, for the slide's extent and tumour outline (a filtered bag
  // may leave tumour tiles out).
  const all: TileRow[] = await store.tiles(slide);
  const info = await store.slideRow(slide);
  const maxSide = options.maxSide ?? 768;
  let reader: SlideReader | null = null,
    note: string | undefined,
    base: HeatmapBase;
  try {
    if (!info) throw new Error(`slide "${slide}" is not in the slides table`);
    reader = (options.open ?? openSlide)(info.path);
    const dims = reader.levelDimensions[0]!;
    base = await reader.thumbnail(
      Math.max(1, Math.max(dims.width, dims.height) / maxSide),
    );
  } catch (error) {
    reader?.close();
    reader = null;
    note = error instanceof Error ? error.message : String(error);
    const w = info?.width ?? Math.max(...all.map((t) => t.x + t.size));
    const h = info?.height ?? Math.max(...all.map((t) => t.y + t.size));
    const scale = Math.max(1, Math.max(w, h) / maxSide);
    const width = Math.round(w / scale), height = Math.round(h / scale);
    base = {
      rgb: new Uint8Array(width * height * 3).fill(242),
      width,
      height,
      downsampleX: w / width,
      downsampleY: h / height,
    };
  }
  try {
    const maskPath = reader ? await groundTruthMask(reader.path) : null;
    let tumour: Uint8Array | undefined, outline: SlideBase["outline"] = null;
    if (maskPath) {
      tumour = await maskAt(maskPath, base.width, base.height);
      outline = tumour.includes(1) ? "mask" : null;
    } else if (all.some((t) => (t.label ?? 0) > 0)) {
      tumour = tileMask(all.filter((t) => (t.label ?? 0) > 0), base);
      outline = "tiles";
    }
    return {
      tiles,
      base,
      background: reader ? "slide" : "blank",
      ...(tumour ? { tumour } : {}),
      outline,
      reader,
      ...(note === undefined ? {} : { note }),
    };
  } catch (error) {
    reader?.close();
    throw error;
  }
}
