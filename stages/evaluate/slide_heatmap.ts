/**
 * A slide's attention heatmap from the store: attention of a run/epoch on
 * the tiles of the slide's bag, the thumbnail read from the slide file, the tumour outline from
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
import type { SlideReader } from "../tile/slide_reader.ts";
import { openSlideBase } from "./_slide_base.ts";
import { shownEpoch } from "./_format.ts";
import { topkIndices } from "./attention_measures.ts";
import { percentileNormalise, renderHeatmap } from "./heatmap.ts";

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
  const [attention] = await store.attentionSnapshots(run, { epoch, slide });
  if (!attention) {
    throw new Error(
      `Cannot draw a heatmap: expected attention for run "${run}", epoch ${
        shownEpoch(epoch)
      } (stored epoch ${epoch}), slide "${slide}"; found none`,
    );
  }
  const { tiles, base, background, tumour, outline, reader, note } =
    await openSlideBase({
      store,
      run,
      slide,
      ...(options.maxSide === undefined ? {} : { maxSide: options.maxSide }),
      ...(options.open ? { open: options.open } : {}),
    });
  try {
    if (tiles.length !== attention.scores.length) {
      throw new Error(
        `Cannot draw a heatmap of slide "${slide}": its attention in run "${run}" has ${attention.scores.length} entries but the run's bag of it has ${tiles.length} tiles`,
      );
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
      background,
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
