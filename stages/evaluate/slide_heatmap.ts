/**
 * A slide's attention heatmap from the store: tiles and attention of a
 * run/epoch, the thumbnail read from the slide file, the tumour outline from
 * the ground-truth mask beside the slide (`<stem>.tumour.png`, the tile
 * stage's convention, which the synthetic cohort writes) or else from tile
 * labels, and a gallery of the top-k tiles read at full
 * resolution.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import sharp from "sharp";
import type { Store } from "../../data/store.ts";
import { tumourMaskPath } from "../tile/ground_truth.ts";
import { openSlide } from "../tile/open_slide.ts";
import type { SlideReader } from "../tile/slide_reader.ts";
import { topkIndices } from "./attention_measures.ts";
import {
  type HeatmapBase,
  percentileNormalise,
  renderHeatmap,
  tileMask,
} from "./heatmap.ts";

/** Options of {@link slideHeatmap}. */
export interface SlideHeatmapOptions {
  store: Store;
  run: string;
  epoch: number;
  slide: string;
  /** Longest side of the thumbnail in pixels (default 768). */
  maxSide?: number;
  /** Tiles in the gallery (default 8; 0 for none). */
  topk?: number;
  /** Side of a gallery cell in pixels (default 160). */
  cell?: number;
  /** Opens the slide file (default `openSlide`). */
  open?: (path: string) => SlideReader;
}

/** A top-k tile as drawn in the gallery. */
export interface TopTile {
  rank: number;
  tile: number;
  score: number;
  percentile: number;
  x: number;
  y: number;
  size: number;
  label: number | null;
}

/** What {@link slideHeatmap} made. */
export interface SlideHeatmap {
  png: Uint8Array;
  width: number;
  height: number;
  /** `slide`: the slide's own thumbnail; `blank`: the file could not be read. */
  background: "slide" | "blank";
  /** Where the tumour outline came from, if drawn. */
  outline: "mask" | "tiles" | null;
  /** Gallery of the top tiles (null when the slide could not be read). */
  gallery: Uint8Array | null;
  topTiles: TopTile[];
  /** Why the slide file was not used, when it was not. */
  note?: string;
}

type TileRow = {
  tile: number;
  x: number;
  y: number;
  size: number;
  level: number;
  label: number | null;
};

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

async function gallery(
  reader: SlideReader,
  top: readonly TopTile[],
  levels: Map<number, number>,
  cell: number,
) {
  const cols = Math.min(4, top.length),
    rows = Math.ceil(top.length / cols),
    caption = 30;
  const cells = await Promise.all(top.map(async (t) => {
    const level = levels.get(t.tile) ?? 0;
    const side = Math.max(
      1,
      Math.round(t.size / (reader.levelDownsamples[level] ?? 1)),
    );
    const rgb = await reader.readRegion(t.x, t.y, level, side, side);
    return await sharp(rgb, { raw: { width: side, height: side, channels: 3 } })
      .resize(cell, cell).png().toBuffer();
  }));
  const text = top.map((t, i) => {
    const x = (i % cols) * (cell + 4) + 4;
    const y = Math.floor(i / cols) * (cell + caption + 4) + cell + 14;
    const tumour = t.label === null ? "" : t.label > 0 ? " · tumour" : "";
    return `<text x="${x}" y="${y}" font-size="11" font-family="sans-serif">#${t.rank} tile ${t.tile}</text>` +
      `<text x="${x}" y="${y + 13}" font-size="11" font-family="sans-serif">${
        t.score.toPrecision(3)
      }${tumour}</text>`;
  }).join("");
  const width = cols * (cell + 4) + 4, height = rows * (cell + caption + 4);
  const png = await sharp({
    create: { width, height, channels: 3, background: "#ffffff" },
  })
    .composite([
      ...cells.map((input, i) => ({
        input,
        left: (i % cols) * (cell + 4) + 4,
        top: Math.floor(i / cols) * (cell + caption + 4) + 2,
      })),
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text}</svg>`,
        ),
        left: 0,
        top: 0,
      },
    ]).png().toBuffer();
  return new Uint8Array(png);
}

/**
 * Renders the attention heatmap of `slide` at `epoch` of `run` (and its
 * top-k gallery). When the slide file cannot be read the map is drawn on a
 * blank background of the slide's shape and `note` says why.
 *
 * @example
 * ```ts ignore
 * const map = await slideHeatmap({ store, run: "run-1", epoch: 19, slide: "slide-03" });
 * await Deno.writeFile("slide-03.png", map.png);
 * ```
 */
export async function slideHeatmap(
  options: SlideHeatmapOptions,
): Promise<SlideHeatmap> {
  const { store, run, epoch, slide } = options;
  const [attention] = await store.query<{ scores: number[] }>(
    "SELECT scores FROM attention WHERE run = ? AND epoch = ? AND slide = ?",
    [run, epoch, slide],
  );
  if (!attention) {
    throw new Error(
      `Cannot draw a heatmap: expected attention for run "${run}", epoch ${epoch}, slide "${slide}"; found none`,
    );
  }
  const tiles = await store.query<TileRow>(
    "SELECT tile, x, y, size, level, label FROM tiles WHERE slide = ? ORDER BY tile",
    [slide],
  );
  if (tiles.length !== attention.scores.length) {
    throw new Error(
      `Cannot draw a heatmap of slide "${slide}": its attention has ${attention.scores.length} entries but it has ${tiles.length} tiles`,
    );
  }
  const [info] = await store.query<
    { path: string; width: number | null; height: number | null }
  >(
    "SELECT path, width, height FROM slides WHERE id = ?",
    [slide],
  );
  const maxSide = options.maxSide ?? 768;
  let reader: SlideReader | undefined,
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
    note = error instanceof Error ? error.message : String(error);
    const w = info?.width ?? Math.max(...tiles.map((t) => t.x + t.size));
    const h = info?.height ?? Math.max(...tiles.map((t) => t.y + t.size));
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
    let tumour: Uint8Array | undefined, outline: SlideHeatmap["outline"] = null;
    if (maskPath) {
      tumour = await maskAt(maskPath, base.width, base.height);
      outline = tumour.includes(1) ? "mask" : null;
    } else if (tiles.some((t) => (t.label ?? 0) > 0)) {
      tumour = tileMask(tiles.filter((t) => (t.label ?? 0) > 0), base);
      outline = "tiles";
    }
    const png = await renderHeatmap(
      base,
      tiles,
      attention.scores,
      tumour ? { tumour } : {},
    );
    const percentiles = percentileNormalise(attention.scores);
    const k = Math.min(options.topk ?? 8, tiles.length);
    const topTiles = k > 0
      ? topkIndices(attention.scores, k).map((i, rank) => ({
        rank: rank + 1,
        tile: tiles[i]!.tile,
        score: attention.scores[i]!,
        percentile: percentiles[i]!,
        x: tiles[i]!.x,
        y: tiles[i]!.y,
        size: tiles[i]!.size,
        label: tiles[i]!.label,
      }))
      : [];
    const levels = new Map(tiles.map((t) => [t.tile, t.level]));
    return {
      png,
      width: base.width,
      height: base.height,
      background: reader ? "slide" : "blank",
      outline,
      gallery: reader && topTiles.length > 0
        ? await gallery(reader, topTiles, levels, options.cell ?? 160)
        : null,
      topTiles,
      ...(note === undefined ? {} : { note }),
    };
  } finally {
    reader?.close();
  }
}
