/**
 * What the examples share: a small labelled cohort of the built-in
 * synthetic slides with a seeded stratified split, the store a run writes
 * to, the start and end of the chain (the tile stage; embed → bag → train,
 * as one stage), the run's options and the command line.
 * Each example builds its own chain of stages around these.
 *
 * @module
 */
import {
  type BagInfo,
  BagStream,
  buildModel,
  EmbedStream,
  type EmbedStreamOptions,
  type Encoder,
  type EpochEvent,
  type MilModel,
  openEncoder,
  openStore,
  readLabelsCsv,
  type SlideRef,
  type Split,
  type Store,
  stratifiedKFold,
  type Tile,
  TileStream,
  type TrainOptions,
  TrainStream,
  useBackend,
  writeSyntheticCohort,
} from "../mod.ts";
import { join } from "node:path";

/** Slides with their labels and splits (the bag stage's options). */
export interface ExampleCohort {
  slides: SlideRef[];
  labels: Map<string, number>;
  splits: Map<string, Split>;
}

/** Options of {@linkcode exampleCohort}. */
export interface ExampleCohortOptions {
  /** Slides (default 12: four per fold of a 3-fold split). */
  slides?: number;
  /** Level-0 side lengths (default `[1024]`: about ten tiles a slide). */
  sides?: readonly number[];
  /**
   * Cohort and split seed (default 1: among its slides, a green pen stroke
   * crosses tissue tiles).
   */
  seed?: number;
}

/**
 * Writes (or reuses) the synthetic cohort in `dir` and splits it with a
 * seeded stratified 3-fold (fold 0: test, fold 1: validation).
 *
 * @example
 * ```ts
 * import { exampleCohort } from "./_cohort.ts";
 * const dir = await Deno.makeTempDir();
 * const cohort = await exampleCohort(dir, { slides: 3 });
 * if (cohort.slides.length !== 3 || cohort.splits.size !== 3) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exampleCohort(
  dir: string,
  options: ExampleCohortOptions = {},
): Promise<ExampleCohort> {
  const seed = options.seed ?? 1;
  const cohort = await writeSyntheticCohort({
    outDir: dir,
    slides: options.slides ?? 12,
    sides: options.sides ?? [1024],
    seed,
    concurrency: 1,
  });
  const { labels } = await readLabelsCsv(cohort.labelsPath);
  return {
    slides: cohort.slides.map((s) => ({ id: s.id, path: s.path })),
    labels,
    splits: stratifiedKFold(labels, 3, 0, seed),
  };
}

/** What every example's run takes. */
export interface ExampleRunOptions {
  /** Folder for the cohort and the store. */
  outDir: string;
  /** The encoder (not closed here). */
  encoder: Encoder;
  /** The synthetic cohort (default: {@linkcode exampleCohort}'s). */
  cohort?: ExampleCohortOptions;
  /** Training epochs. */
  epochs?: number;
}

/**
 * Writes (or reuses) the cohort in `outDir/cohort`, opens the store
 * `outDir/<name>.duckdb` for `run` and closes it after.
 */
export async function withExampleStore<T>(
  options: ExampleRunOptions,
  name: string,
  run: (cohort: ExampleCohort, store: Store) => Promise<T>,
): Promise<T> {
  const { outDir } = options;
  const cohort = await exampleCohort(join(outDir, "cohort"), options.cohort);
  const store = await openStore(join(outDir, `${name}.duckdb`));
  try {
    return await run(cohort, store);
  } finally {
    store.close();
  }
}

/**
 * The examples' tile stage: 256-pixel tiles at 0.5 µm/pixel, recorded in
 * `store` when one is given.
 */
export function exampleTiles(store?: Store): TileStream {
  return new TileStream({
    tileSize: 256,
    mpp: 0.5,
    ...(store ? { store } : {}),
  });
}

/** The examples' model: a small ABMIL (no anchor) as wide as the bags' features. */
export function exampleModel(infos: readonly BagInfo[]): MilModel {
  return buildModel("abmil", {
    inputDim: infos[0]!.dim,
    numClasses: 2,
    innerDim: 32,
    attentionDim: 16,
    anchor: false,
  });
}

/** Options of {@linkcode exampleTraining}. */
export interface ExampleTrainingOptions
  extends Omit<TrainOptions, "store" | "quiet"> {
  /** The store the embed stage writes to; bags are read back from it. */
  store: Store;
  /** The encoder (not closed here). */
  encoder: Encoder;
  /** Called once per embedded slide. */
  onSlide?: EmbedStreamOptions["onSlide"];
}

/**
 * The end of every example's chain as one stage: tiles in, the training's
 * epoch events out (`EmbedStream` writing to the store, `BagStream`
 * reading the cohort's bags back from it, then `TrainStream` with
 * {@linkcode exampleModel}).
 */
export function exampleTraining(
  cohort: ExampleCohort,
  options: ExampleTrainingOptions,
): ReadableWritablePair<EpochEvent, Tile> {
  const { store, encoder, onSlide, ...train } = options;
  const embed = new EmbedStream({
    encoder,
    store,
    ...(onSlide ? { onSlide } : {}),
  });
  return {
    writable: embed.writable,
    readable: embed.readable
      .pipeThrough(
        new BagStream({
          store,
          labels: cohort.labels,
          splits: cohort.splits,
        }),
      )
      .pipeThrough(
        new TrainStream({ ...train, store, quiet: true, model: exampleModel }),
      ),
  };
}

/**
 * An example's command line: `OUT_DIR [ENCODER]` (defaults
 * `out/examples/<name>` and `mobilenet_v2`); picks the tensor backend and
 * opens the encoder for `run`, closing it after.
 */
export async function exampleMain(
  name: string,
  run: (outDir: string, encoder: Encoder) => Promise<void>,
): Promise<void> {
  const [outDir = `out/examples/${name}`, spec = "mobilenet_v2"] = Deno.args;
  await useBackend("auto", { quiet: true });
  const encoder = await openEncoder(spec);
  try {
    await run(outDir, encoder);
  } finally {
    await encoder.close();
  }
}
