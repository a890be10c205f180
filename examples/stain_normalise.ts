/**
 * Example: Reinhard stain normalisation as a stage before embed. Slides
 * stained more or less strongly give the encoder differently coloured
 * tiles; each tile is moved into Reinhard's lαβ colour space (decorrelated
 * opponent channels on log cone responses) and its per-channel mean and
 * standard deviation are matched to a target's, taken from a reference
 * slide's tiles.
 *
 * ```sh
 * deno run -A examples/stain_normalise.ts out/stain_normalise [encoder]
 * ```
 *
 * Reinhard, Ashikhmin, Gooch & Shirley (2001), "Color transfer between
 * images", IEEE Computer Graphics and Applications 21(5).
 *
 * @module
 */
import type { EpochEvent, SlideRef, Tile } from "../mod.ts";
import {
  exampleMain,
  type ExampleRunOptions,
  exampleTiles,
  exampleTraining,
  withExampleStore,
} from "./_cohort.ts";

/** Per-channel mean and standard deviation in lαβ. */
export interface LabStats {
  mean: [number, number, number];
  std: [number, number, number];
}

/** Pixels of a tile. */
type Pixels = Pick<Tile, "rgb" | "width" | "height">;

/** The inverse of a 3 × 3 matrix (by cofactors). */
function inverse3(m: readonly (readonly number[])[]): number[][] {
  const at = (r: number, c: number) => m[r % 3]![c % 3]!;
  const cof = (r: number, c: number) =>
    at(r + 1, c + 1) * at(r + 2, c + 2) - at(r + 1, c + 2) * at(r + 2, c + 1);
  const det = at(0, 0) * cof(0, 0) + at(0, 1) * cof(0, 1) +
    at(0, 2) * cof(0, 2);
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => cof(c, r) / det));
}

// RGB → LMS cone responses and back (Reinhard et al., 2001).
const RGB_TO_LMS = [
  [0.3811, 0.5783, 0.0402],
  [0.1967, 0.7244, 0.0782],
  [0.0241, 0.1288, 0.8444],
] as const;
const LMS_TO_RGB = inverse3(RGB_TO_LMS);
/** Cone responses below this are clamped before the logarithm (black). */
const LMS_FLOOR = 1 / 255;
const S3 = Math.sqrt(3), S6 = Math.sqrt(6), S2 = Math.sqrt(2);

/** Writes the lαβ of RGB (0–255) to `out[o..o+2]`. */
function labInto(
  r: number,
  g: number,
  b: number,
  out: Float64Array | number[],
  o: number,
): void {
  const [x, y, z] = RGB_TO_LMS;
  const lms = (row: readonly [number, number, number]) =>
    Math.log10(
      Math.max(LMS_FLOOR, (row[0] * r + row[1] * g + row[2] * b) / 255),
    );
  const L = lms(x), M = lms(y), S = lms(z);
  out[o] = (L + M + S) / S3;
  out[o + 1] = (L + M - 2 * S) / S6;
  out[o + 2] = (L - M) / S2;
}

/** Writes the RGB (0–255, not rounded or clipped) of lαβ to `out[o..o+2]`. */
function rgbInto(
  l: number,
  a: number,
  b: number,
  out: Float64Array | number[],
  o: number,
): void {
  const l3 = l / S3, a6 = a / S6, b2 = b / S2;
  const L = 10 ** (l3 + a6 + b2), M = 10 ** (l3 + a6 - b2);
  const S = 10 ** (l3 - 2 * a6);
  for (let c = 0; c < 3; c++) {
    const row = LMS_TO_RGB[c]!;
    out[o + c] = 255 * (row[0]! * L + row[1]! * M + row[2]! * S);
  }
}

/**
 * lαβ of one RGB pixel (0–255 per channel).
 *
 * @example
 * ```ts
 * import { labToRgb, rgbToLab } from "./stain_normalise.ts";
 * const back = labToRgb(rgbToLab([200, 120, 170]));
 * if (back.some((v, i) => Math.abs(v - [200, 120, 170][i]!) > 1e-9)) throw new Error();
 * ```
 */
export function rgbToLab(
  rgb: readonly [number, number, number],
): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  labInto(rgb[0], rgb[1], rgb[2], out, 0);
  return out;
}

/** RGB (0–255, not rounded or clipped) of one lαβ pixel. */
export function labToRgb(
  lab: readonly [number, number, number],
): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  rgbInto(lab[0], lab[1], lab[2], out, 0);
  return out;
}

/** The tile's pixels in lαβ, channel-interleaved. */
function tileLab(tile: Pixels): Float64Array {
  const { rgb } = tile;
  const lab = new Float64Array(3 * tile.width * tile.height);
  for (let o = 0; o < lab.length; o += 3) {
    labInto(rgb[o]!, rgb[o + 1]!, rgb[o + 2]!, lab, o);
  }
  return lab;
}

/** Channel means and standard deviations of interleaved lαβ pixels. */
function stats(lab: Float64Array): LabStats {
  const n = lab.length / 3;
  const mean: [number, number, number] = [0, 0, 0];
  const std: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < lab.length; i++) mean[i % 3]! += lab[i]! / n;
  for (let i = 0; i < lab.length; i++) {
    std[i % 3]! += (lab[i]! - mean[i % 3]!) ** 2 / n;
  }
  return { mean, std: std.map(Math.sqrt) as [number, number, number] };
}

/**
 * lαβ statistics of a typical tile of `tiles`: each tile's channel means
 * and standard deviations, averaged over the tiles (a reference slide's
 * tiles make a target; one tile gives its own statistics).
 *
 * @example
 * ```ts
 * import { labStats } from "./stain_normalise.ts";
 * const grey = { rgb: new Uint8Array(4 * 3).fill(128), width: 2, height: 2 };
 * const s = labStats([grey]);
 * if (s.std.some((v) => v > 1e-12) || Math.abs(s.mean[1]) > 0.01) throw new Error();
 * ```
 */
export function labStats(tiles: readonly Pixels[]): LabStats {
  if (tiles.length === 0) {
    throw new RangeError("labStats() needs at least one tile: got none");
  }
  const sum: LabStats = { mean: [0, 0, 0], std: [0, 0, 0] };
  for (const tile of tiles) {
    const s = stats(tileLab(tile));
    for (let c = 0; c < 3; c++) {
      sum.mean[c]! += s.mean[c]! / tiles.length;
      sum.std[c]! += s.std[c]! / tiles.length;
    }
  }
  return sum;
}

/**
 * `tile` with its lαβ channel means and standard deviations moved to
 * `target`'s (a flat channel keeps its spread of zero), rounded and clipped
 * back to 8-bit RGB.
 */
export function reinhardNormalise<T extends Pixels>(
  tile: T,
  target: LabStats,
): T {
  const lab = tileLab(tile);
  const source = stats(lab);
  const rgb = new Uint8Array(tile.rgb.length);
  const scale = source.std.map((s, c) => s > 1e-9 ? target.std[c]! / s : 1);
  const back = new Float64Array(3);
  const moved = (o: number, c: number) =>
    (lab[o + c]! - source.mean[c]!) * scale[c]! + target.mean[c]!;
  for (let o = 0; o < lab.length; o += 3) {
    rgbInto(moved(o, 0), moved(o, 1), moved(o, 2), back, 0);
    for (let c = 0; c < 3; c++) {
      rgb[o + c] = Math.min(255, Math.max(0, Math.round(back[c]!)));
    }
  }
  return { ...tile, rgb };
}

/** Options of {@linkcode ReinhardStream}. */
export interface ReinhardOptions {
  /** The colour statistics every tile is moved to (see {@linkcode labStats}). */
  target: LabStats;
}

/**
 * The normalisation stage: tiles in, the same tiles with the target's
 * colour statistics out.
 *
 * @example
 * ```ts
 * import { labStats, ReinhardStream } from "./stain_normalise.ts";
 * const tile = (value: number) => ({
 *   slideId: "s", index: 0, x: 0, y: 0, size: 2, level: 0, tissueFraction: 1,
 *   rgb: Uint8Array.from([value, 40, value, 90, value, 120, 200, 100, 60, 30, 30, 30]),
 *   width: 2, height: 2,
 * });
 * const target = labStats([tile(180)]);
 * const [out] = await Array.fromAsync(
 *   ReadableStream.from([tile(90)]).pipeThrough(new ReinhardStream({ target })),
 * );
 * const got = labStats([out!]);
 * if (got.mean.some((m, c) => Math.abs(m - target.mean[c]!) > 0.05)) throw new Error();
 * ```
 */
export class ReinhardStream extends TransformStream<Tile, Tile> {
  /** Creates the stage. */
  constructor(options: ReinhardOptions) {
    const { mean, std } = options.target;
    if (
      mean.length !== 3 || std.length !== 3 ||
      !mean.every(Number.isFinite) || !std.every((s) => s >= 0)
    ) {
      throw new RangeError(
        `Cannot construct ReinhardStream as target must have 3 finite means and 3 non-negative standard deviations: current value is ${
          JSON.stringify(options.target)
        }`,
      );
    }
    super({
      transform: (tile, controller) =>
        controller.enqueue(reinhardNormalise(tile, options.target)),
    });
  }
}

/** Options of {@linkcode runStainNormaliseExample}. */
export interface StainNormaliseExampleOptions extends ExampleRunOptions {
  /** Training epochs (default 3). */
  epochs?: number;
}

/** What {@linkcode runStainNormaliseExample} did. */
export interface StainNormaliseSummary {
  /** The reference slide and the target taken from its tiles. */
  reference: string;
  target: LabStats;
  /** Tiles normalised and embedded. */
  tiles: number;
  events: EpochEvent[];
}

/** Cuts `slide` into tiles (pixels only; nothing is stored). */
async function referenceTiles(slide: SlideRef): Promise<Tile[]> {
  return await Array.fromAsync(
    ReadableStream.from([slide]).pipeThrough(exampleTiles()),
  );
}

/**
 * Takes the target from the cohort's first slide, then tiles, normalises,
 * embeds, bags and trains:
 * `slides → TileStream → ReinhardStream → EmbedStream → BagStream → TrainStream`.
 */
export async function runStainNormaliseExample(
  options: StainNormaliseExampleOptions,
): Promise<StainNormaliseSummary> {
  const { encoder } = options;
  return await withExampleStore(
    options,
    "stain_normalise",
    async (cohort, store) => {
      const reference = cohort.slides[0]!;
      const target = labStats(await referenceTiles(reference));
      let tiles = 0;
      const events = await Array.fromAsync(
        ReadableStream.from(cohort.slides)
          .pipeThrough(exampleTiles(store))
          .pipeThrough(new ReinhardStream({ target }))
          .pipeThrough(
            exampleTraining(cohort, {
              store,
              encoder,
              onSlide: (e) => tiles += e.tiles,
              runId: "stain_normalise",
              epochs: options.epochs ?? 3,
            }),
          ),
      );
      return { reference: reference.id, target, tiles, events };
    },
  );
}

if (import.meta.main) {
  await exampleMain("stain_normalise", async (outDir, encoder) => {
    const s = await runStainNormaliseExample({ outDir, encoder });
    const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(", ");
    console.log(
      `target from ${s.reference}: lαβ mean [${f(s.target.mean)}], std [${
        f(s.target.std)
      }]; ${s.tiles} tiles normalised and embedded`,
    );
    const last = s.events.at(-1);
    console.log(`epoch ${last?.epoch}: validation AUC ${last?.val?.auc}`);
  });
}
