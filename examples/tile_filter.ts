/**
 * Example: a tile filter between the tile and embed stages. Tiles that are
 * out of focus (low variance of the Laplacian of their grey levels) or
 * marked with pen (green, blue or black ink, which H&E does not make) are
 * dropped before they cost an encoder pass; the stage counts what it
 * dropped and why.
 *
 * ```sh
 * deno run -A examples/tile_filter.ts out/tile_filter [encoder]
 * ```
 *
 * @module
 */
import type { EpochEvent, Tile } from "../mod.ts";
import {
  exampleMain,
  type ExampleRunOptions,
  exampleTiles,
  exampleTraining,
  withExampleStore,
} from "./_cohort.ts";

/** Why a tile is dropped, or `"kept"`. */
export type TileVerdict = "kept" | "blurred" | "pen";

/** Options of {@linkcode TileFilterStream}. */
export interface TileFilterOptions {
  /** Least variance of the Laplacian of a tile's grey levels (default 25). */
  minSharpness?: number;
  /** Largest share of a tile's pixels that may look like ink (default 0.02). */
  maxInk?: number;
  /** Called for every dropped tile. */
  onDrop?: (tile: Tile, verdict: Exclude<TileVerdict, "kept">) => void;
}

/** Tiles seen by the filter, by verdict. */
export type TileCounts = Record<TileVerdict, number>;

/**
 * Variance of the 4-neighbour Laplacian of the tile's grey levels (0–255):
 * high where nuclei and fibres have sharp edges, low once they are blurred.
 *
 * @example
 * ```ts
 * import { laplacianVariance } from "./tile_filter.ts";
 * const flat = { rgb: new Uint8Array(8 * 8 * 3).fill(200), width: 8, height: 8 };
 * if (laplacianVariance(flat) !== 0) throw new Error("a flat tile has no edges");
 * ```
 */
export function laplacianVariance(
  tile: Pick<Tile, "rgb" | "width" | "height">,
): number {
  const { rgb, width: w, height: h } = tile;
  if (w < 3 || h < 3) {
    throw new RangeError(
      `A tile needs at least 3 × 3 pixels for its Laplacian: got ${w} × ${h}`,
    );
  }
  const grey = new Float32Array(w * h);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = 0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! +
      0.114 * rgb[3 * i + 2]!;
  }
  let sum = 0, sum2 = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = 4 * grey[i]! - grey[i - 1]! - grey[i + 1]! - grey[i - w]! -
        grey[i + w]!;
      sum += l;
      sum2 += l * l;
    }
  }
  const n = (w - 2) * (h - 2);
  return sum2 / n - (sum / n) ** 2;
}

/** Haematoxylin and eosin optical-density directions (Ruifrok & Johnston, 2001). */
const HAEMATOXYLIN = [0.65, 0.7, 0.29] as const;
const EOSIN = [0.07, 0.99, 0.11] as const;

/** Unit normal of the plane the two stains span in optical-density space. */
const OFF_STAIN = (() => {
  const [h0, h1, h2] = HAEMATOXYLIN, [e0, e1, e2] = EOSIN;
  const n = [h1 * e2 - h2 * e1, h2 * e0 - h0 * e2, h0 * e1 - h1 * e0];
  const norm = Math.hypot(...n);
  return n.map((v) => v / norm) as [number, number, number];
})();

/** Optical density of an 8-bit intensity. */
const density = (v: number) => -Math.log10((v + 1) / 256);

/**
 * Share of the tile's pixels that look like marker ink: their optical
 * density leaves the plane that any mix of haematoxylin and eosin lies in
 * by more than `threshold` on the side green and black inks lie (colour
 * deconvolution's residual channel). Blue ink lies close to haematoxylin
 * and is mostly not caught by this rule.
 *
 * @example
 * ```ts
 * import { inkFraction } from "./tile_filter.ts";
 * const pixel = (r: number, g: number, b: number, n: number) =>
 *   Array.from({ length: n }, () => [r, g, b]).flat();
 * // Half pink stroma, half green ink.
 * const rgb = Uint8Array.from([...pixel(230, 160, 200, 8), ...pixel(60, 150, 85, 8)]);
 * if (inkFraction({ rgb, width: 4, height: 4 }) !== 0.5) throw new Error();
 * ```
 */
export function inkFraction(
  tile: Pick<Tile, "rgb" | "width" | "height">,
  threshold = 0.13,
): number {
  const { rgb, width, height } = tile;
  const [nr, ng, nb] = OFF_STAIN;
  let ink = 0;
  for (let i = 0; i < width * height; i++) {
    const off = nr * density(rgb[3 * i]!) + ng * density(rgb[3 * i + 1]!) +
      nb * density(rgb[3 * i + 2]!);
    if (off > threshold) ink++;
  }
  return ink / (width * height);
}

/** What the filter does with `tile`; pen is checked first. */
export function judgeTile(
  tile: Pick<Tile, "rgb" | "width" | "height">,
  options: Pick<TileFilterOptions, "minSharpness" | "maxInk"> = {},
): TileVerdict {
  if (inkFraction(tile) > (options.maxInk ?? 0.02)) return "pen";
  if (laplacianVariance(tile) < (options.minSharpness ?? 25)) return "blurred";
  return "kept";
}

/**
 * The filter stage: tiles in, the sharp and unmarked ones out.
 *
 * @example
 * ```ts
 * import { TileFilterStream } from "./tile_filter.ts";
 * // A flat grey tile (no edges) and a light grey checkerboard.
 * const tile = (index: number, dark: number) => ({
 *   slideId: "s", index, x: 0, y: 0, size: 4, level: 0, tissueFraction: 1,
 *   rgb: Uint8Array.from({ length: 48 }, (_, i) => ((i / 3 | 0) + (i / 12 | 0)) % 2 ? dark : 230),
 *   width: 4, height: 4,
 * });
 * const filter = new TileFilterStream();
 * const kept = await Array.fromAsync(
 *   ReadableStream.from([tile(0, 230), tile(1, 180)]).pipeThrough(filter),
 * );
 * if (kept.length !== 1 || filter.counts.blurred !== 1) throw new Error();
 * ```
 */
export class TileFilterStream extends TransformStream<Tile, Tile> {
  #counts: TileCounts = { kept: 0, blurred: 0, pen: 0 };

  /** Creates the stage. */
  constructor(options: TileFilterOptions = {}) {
    for (const key of ["minSharpness", "maxInk"] as const) {
      const value = options[key];
      if (value !== undefined && !(value >= 0)) {
        throw new RangeError(
          `Cannot construct TileFilterStream as ${key} must be a non-negative number: current value is ${value}`,
        );
      }
    }
    super({
      transform: (tile, controller) => {
        const verdict = judgeTile(tile, options);
        this.#counts[verdict]++;
        if (verdict === "kept") controller.enqueue(tile);
        else options.onDrop?.(tile, verdict);
      },
    });
  }

  /** Tiles seen so far, by verdict. */
  get counts(): Readonly<TileCounts> {
    return this.#counts;
  }
}

/** Options of {@linkcode runTileFilterExample}. */
export interface TileFilterExampleOptions
  extends TileFilterOptions, ExampleRunOptions {
  /** Training epochs (default 3). */
  epochs?: number;
}

/** What {@linkcode runTileFilterExample} did. */
export interface TileFilterSummary {
  counts: TileCounts;
  /** Tiles the tile stage cut, before the filter. */
  tiled: number;
  /** Tiles embedded (and stored). */
  embedded: number;
  events: EpochEvent[];
}

/**
 * Tiles the synthetic cohort, filters, embeds, bags and trains:
 * `slides → TileStream → TileFilterStream → EmbedStream → BagStream → TrainStream`.
 */
export async function runTileFilterExample(
  options: TileFilterExampleOptions,
): Promise<TileFilterSummary> {
  const { encoder } = options;
  return await withExampleStore(
    options,
    "tile_filter",
    async (cohort, store) => {
      const tile = exampleTiles(store);
      const filter = new TileFilterStream(options);
      let embedded = 0;
      const events = await Array.fromAsync(
        ReadableStream.from(cohort.slides)
          .pipeThrough(tile)
          .pipeThrough(filter)
          .pipeThrough(
            exampleTraining(cohort, {
              store,
              encoder,
              onSlide: (e) => embedded += e.tiles,
              runId: "tile_filter",
              epochs: options.epochs ?? 3,
            }),
          ),
      );
      return {
        counts: { ...filter.counts },
        tiled: tile.results.reduce((n, r) => n + r.tiles, 0),
        embedded,
        events,
      };
    },
  );
}

if (import.meta.main) {
  await exampleMain("tile_filter", async (outDir, encoder) => {
    const summary = await runTileFilterExample({
      outDir,
      encoder,
      onDrop: (t, why) =>
        console.log(`dropped ${t.slideId} tile ${t.index}: ${why}`),
    });
    const { kept, blurred, pen } = summary.counts;
    console.log(
      `${summary.tiled} tiles: ${kept} kept, ${blurred} blurred and ${pen} pen-marked dropped; ${summary.embedded} embedded`,
    );
    const last = summary.events.at(-1);
    console.log(`epoch ${last?.epoch}: validation AUC ${last?.val?.auc}`);
  });
}
