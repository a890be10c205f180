/**
 * Test helper: writes a small but complete run into a real store (slides,
 * labelled tiles, epochs, attention with heads, predictions), the way the
 * trainer will, so the evaluate stage can be tested before the trainer
 * lands. Deterministic per seed.
 *
 * @module
 */

import sharp from "sharp";
import { Store, type TileRecord } from "../data/store.ts";
import { writeSyntheticSlide } from "../data/synthetic/synthetic_slide.ts";
import { Rng } from "../core/random.ts";

/** A slide of the fake cohort. */
export interface FakeSlide {
  id: string;
  split: "train" | "val" | "test";
  label: 0 | 1;
  width: number;
  height: number;
  tiles: TileRecord[];
  /**
   * The tiles the run's encoder embedded (default: every tile); the run's
   * attention covers these, in tile order. Only with `encoder`.
   */
  embedded?: readonly number[];
  /** Slide file, when one was written. */
  path?: string;
}

/** Options of {@link writeFakeRun}. */
export interface FakeRunOptions {
  run: string;
  slides: readonly FakeSlide[];
  epochs: number;
  seed: number;
  model?: string;
  /** How fast attention settles (larger: sooner). Default 1. */
  settling?: number;
  /**
   * When given, each slide's embedded tiles get (fake, 2-d) embeddings from
   * this encoder, and the run's attention covers only those; otherwise no
   * embeddings are written and attention covers every tile.
   */
  encoder?: string;
}

/** The tiles a fake run's attention covers on `slide`, in bag order. */
function fakeBag(
  slide: FakeSlide,
  encoder: string | undefined,
): TileRecord[] {
  if (encoder === undefined || slide.embedded === undefined) return slide.tiles;
  const embedded = new Set(slide.embedded);
  return slide.tiles.filter((t) => embedded.has(t.tile))
    .sort((a, b) => a.tile - b.tile);
}

/** A grid of `size`-pixel tiles over a slide; `tumour(x, y)` labels a tile. */
export function tileGrid(
  width: number,
  height: number,
  size: number,
  tumour: (x: number, y: number) => boolean,
): TileRecord[] {
  const tiles: TileRecord[] = [];
  for (let y = 0; y + size <= height; y += size) {
    for (let x = 0; x + size <= width; x += size) {
      tiles.push({
        tile: tiles.length,
        x,
        y,
        size,
        level: 0,
        tissue: 1,
        label: tumour(x, y) ? 1 : 0,
      });
    }
  }
  return tiles;
}

/** `n` slides without files: 4×4 tiles, tumour in a corner block of positives. */
export function fakeSlides(n: number): FakeSlide[] {
  const splits = ["train", "val", "test"] as const;
  return Array.from({ length: n }, (_, i) => {
    const label = (i % 2) as 0 | 1;
    return {
      id: `slide-${String(i).padStart(2, "0")}`,
      split: splits[i % 3]!,
      label,
      width: 1024,
      height: 1024,
      tiles: tileGrid(
        1024,
        1024,
        256,
        (x, y) => label === 1 && x >= 512 && y >= 256 && y < 768,
      ),
    };
  });
}

/**
 * A positive slide of 8 tiles (4 × 2 of 256 pixels, tumour in the right
 * half: tiles 2, 3, 6 and 7) of which a filter dropped tiles 2 and 5 before
 * embedding, so its bag is tiles 0, 1, 3, 4, 6, 7 (tumour: 3, 6, 7).
 */
export function filteredFakeSlide(id = "filtered"): FakeSlide {
  return {
    id,
    split: "val",
    label: 1,
    width: 1024,
    height: 512,
    tiles: tileGrid(1024, 512, 256, (x) => x >= 512),
    embedded: [0, 1, 3, 4, 6, 7],
  };
}

/**
 * An in-memory store holding run `r` (3 epochs) of encoder `kept` over
 * {@link filteredFakeSlide}.
 */
export function filteredFakeRunStore(seed: number): Promise<Store> {
  return fakeRunStore({
    slides: [filteredFakeSlide()],
    epochs: 3,
    seed,
    encoder: "kept",
  });
}

/**
 * The colour at the centre of tile `t` of {@link filteredFakeSlide} in its
 * 256 × 128 RGB thumbnail (`rgb`, 3 bytes a pixel).
 */
export function filteredTileCentre(rgb: Uint8Array, t: number): number[] {
  const at = ((Math.floor(t / 4) * 64 + 32) * 256 + (t % 4) * 64 + 32) * 3;
  return [...rgb.subarray(at, at + 3)];
}

/**
 * `n` synthetic slide files (1536×1024, alternately with tumour) in `dir`,
 * with 256-pixel tiles labelled from each slide's tumour mask.
 */
export async function syntheticSlides(
  dir: string,
  n: number,
): Promise<FakeSlide[]> {
  const splits = ["train", "val", "test"] as const;
  const slides: FakeSlide[] = [];
  for (let i = 0; i < n; i++) {
    const files = await writeSyntheticSlide({
      id: `syn-${i}`,
      dir,
      seed: 100 + i,
      width: 1536,
      height: 1024,
      positive: i % 2 === 1,
      islands: 1,
    });
    const { data, info } = await sharp(files.maskPath).greyscale().raw()
      .toBuffer({ resolveWithObject: true });
    const d = files.maskDownsample;
    const tumour = (x: number, y: number) => {
      for (let my = y / d; my < (y + 256) / d; my++) {
        for (let mx = x / d; mx < (x + 256) / d; mx++) {
          if (data[my * info.width + mx]! > 127) return true;
        }
      }
      return false;
    };
    slides.push({
      id: files.id,
      split: splits[i % 3]!,
      label: files.label,
      width: files.width,
      height: files.height,
      tiles: tileGrid(files.width, files.height, 256, tumour),
      path: files.path,
    });
  }
  return slides;
}

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}

/** Options of {@link fakeRunStore}: {@link FakeRunOptions} with defaults. */
export interface FakeRunStoreOptions
  extends Omit<FakeRunOptions, "run" | "slides"> {
  /** Default `r`. */
  run?: string;
  /** The slides, or how many of {@link fakeSlides}. */
  slides: number | readonly FakeSlide[];
}

/**
 * An in-memory store holding one fake run (see {@link writeFakeRun}).
 *
 * @example
 * ```ts
 * import { fakeRunStore } from "./fake_run.ts";
 * const store = await fakeRunStore({ slides: 2, epochs: 2, seed: 1 });
 * if ((await store.predictionEpochs("r")).length !== 2) throw new Error();
 * store.close();
 * ```
 */
export async function fakeRunStore(
  options: FakeRunStoreOptions,
): Promise<Store> {
  const store = await Store.open(":memory:");
  const { slides } = options;
  await writeFakeRun(store, {
    ...options,
    run: options.run ?? "r",
    slides: typeof slides === "number" ? fakeSlides(slides) : slides,
  });
  return store;
}

/** Writes slides, tiles, a finished run and its epochs into `store`. */
export async function writeFakeRun(
  store: Store,
  options: FakeRunOptions,
): Promise<void> {
  const rng = new Rng(options.seed);
  const settling = options.settling ?? 1;
  await store.transaction(async (tx) => {
    for (const s of options.slides) {
      await tx.upsertSlide({
        id: s.id,
        path: s.path ?? `${s.id}.tiff`,
        label: s.label,
        split: s.split,
        width: s.width,
        height: s.height,
        status: "embedded",
      });
      await tx.replaceTiles(s.id, s.tiles);
      if (options.encoder !== undefined) {
        await tx.replaceEmbeddings(
          s.id,
          options.encoder,
          fakeBag(s, options.encoder).map((t) => ({
            tile: t.tile,
            features: [t.tile, t.label ?? -1],
          })),
        );
      }
    }
    await tx.upsertRun({
      id: options.run,
      model: options.model ?? "asmil",
      config: {
        model: options.model ?? "asmil",
        epochs: options.epochs,
        lr: 2e-4,
      },
      seed: options.seed,
      fold: 0,
    });
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const noise = 1.5 * Math.exp(-settling * epoch);
      const attention = options.slides.map((s) => {
        const logits = (jitter: number) =>
          fakeBag(s, options.encoder).map((t) =>
            epoch === 0 && t.tile % 2 === 0
              ? 0 // ties at the first epoch
              : 0.4 * epoch * (t.label ?? 0) + noise * jitter * rng.normal()
          );
        const h1 = softmax(logits(1)), h2 = softmax(logits(0.5));
        return {
          run: options.run,
          epoch,
          slide: s.id,
          split: s.split,
          scores: h1.map((a, i) => (a + h2[i]!) / 2),
          heads: [h1, h2],
        };
      });
      await tx.appendAttention(attention);
      await tx.appendPredictions(options.slides.map((s) => {
        const z = (2 * s.label - 1) * 0.25 * epoch + rng.normal();
        const p = 1 / (1 + Math.exp(-z));
        return {
          run: options.run,
          epoch,
          slide: s.id,
          split: s.split,
          probabilities: [1 - p, p],
          label: s.label,
        };
      }));
      const ce = 0.7 * Math.exp(-0.2 * epoch) + 0.05 * rng.next();
      await tx.upsertEpoch({
        run: options.run,
        epoch,
        losses: { total: ce + 0.1, ce, anchor: 0.1 },
        lr: 2e-4,
        seconds: 1.5,
        metrics: {},
      });
    }
    await tx.setRunStatus(options.run, "finished");
  });
}
