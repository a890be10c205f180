/**
 * `asmil pipeline`: tile → embed → bag → train → evaluate end to end. With
 * no slides given, it first writes the built-in synthetic cohort. Every
 * stage records its work in the store per slide, so a rerun resumes: slides
 * already embedded are not read again, and a run id with a checkpoint
 * continues training.
 *
 * @module
 */
import { join } from "node:path";
import {
  type SyntheticCohortOptions,
  writeSyntheticCohort,
} from "../../data/synthetic/cohort.ts";
import type { Store } from "../../data/store.ts";
import type { EpochEvent } from "../../stages/train/trainer.ts";
import { listSlides } from "../../stages/tile/slide_list.ts";
import { TileStream } from "../../stages/tile/tile_stream.ts";
import { EmbedStream } from "../../stages/embed/embed_stream.ts";
import type { Encoder } from "../../stages/embed/encoder.ts";
import { openEncoder } from "../../stages/embed/open_encoder.ts";
import { labelSlides, readLabelsCsv } from "../../stages/bag/labels.ts";
import { BagStream } from "../../stages/bag/bag_stream.ts";
import type { BagSource } from "../../stages/bag/bag_source.ts";
import { TrainStream } from "../../stages/train/train_stream.ts";
import { ReportStream } from "../../stages/evaluate/report_stream.ts";
import type { RunEvaluation } from "../../stages/evaluate/evaluate_run.ts";
import { ConcurrentMapStream } from "../../core/concurrent_map_stream.ts";
import type { SlideRef, TileEmbedding } from "../../core/types.ts";
import type { CommandContext } from "../cli_context.ts";
import { qcFolder } from "../config.ts";
import {
  checkNamedSlides,
  configuredLabels,
  configuredRun,
  splitSource,
  type TrainSummary,
  trainSummary,
} from "./train.ts";
import "../../models/all.ts";
import { checkUserOptions } from "../../models/registry.ts";
import { type BackendChoice, useBackend } from "../../models/backend/mod.ts";

/**
 * A model the pipeline trains: its registered name and options (in place
 * of the configuration's `train.modelOptions`); every other training
 * setting comes from the configuration.
 */
export interface PipelineModel {
  model: string;
  modelOptions?: Record<string, unknown>;
}

/** Options of {@link runPipeline} beyond the configuration. */
export interface PipelineOptions {
  /** Synthetic cohort size when no slides are given. */
  syntheticSlides?: number;
  /** Synthetic slide side lengths (multiples of 512; small ones for tests). */
  syntheticSides?: readonly number[];
  /** Ranges of the synthetic positive slides' tumour fraction and grade. */
  syntheticTumour?: Pick<
    SyntheticCohortOptions,
    "tumourFraction" | "tumourGrade"
  >;
  /**
   * Models to train, one after the other on the same split (same seed and
   * fold); the first is the main one. Default: the configuration's model.
   */
  models?: readonly PipelineModel[];
  /**
   * Run id of the first model (resumes when it has a checkpoint); the
   * others get `<run>.<model>`.
   */
  run?: string;
  threads?: number;
}

/** One trained and evaluated model of the pipeline. */
export interface PipelineRun {
  /** The model as trained (options as given, before the model's defaults). */
  model: PipelineModel;
  train: TrainSummary;
  /** Metrics (with intervals) at the best epoch and stability of the run. */
  evaluation: RunEvaluation;
  /** Training wall time in seconds. */
  seconds: number;
}

/** What the pipeline produced. */
export interface PipelineSummary {
  slides: number;
  failed: { slideId: string; error: string }[];
  /** Tiles embedded by this call (0 when every slide was embedded before). */
  tiles: number;
  /** Tiles of the cohort's slides in the store, embedded now or before. */
  cohortTiles: number;
  encoder: string;
  /** Training settings shared by every model. */
  settings: {
    epochs: number;
    lr: number;
    weightDecay: number;
    seed: number;
    folds: number;
    fold: number;
  };
  /** Every model trained, the main one first. */
  runs: PipelineRun[];
  /** Path of the HTML report (all runs compared). */
  report: string;
  /** Wall times: `synth` writing the synthetic cohort (0 when reused or not used), `tile` tiling and embedding. */
  seconds: {
    synth: number;
    tile: number;
    train: number;
    report: number;
    total: number;
  };
}

/** What {@link tileAndEmbed} did. */
export interface EmbeddedSlides {
  /** Slides listed (embedded now or before). */
  slides: number;
  failed: { slideId: string; error: string }[];
  /** Tiles embedded by this call. */
  tiles: number;
  /** Tiles of the listed slides in the store, embedded now or before. */
  cohortTiles: number;
  encoder: string;
  /** Wall time of tiling and embedding. */
  seconds: number;
  /** Wall time of writing the synthetic cohort (0 when reused or not used). */
  synthSeconds: number;
}

/** The slides the pipeline runs on, labelled, and where they came from. */
interface Cohort {
  slides: SlideRef[];
  labelsPath: string;
  /** Wall time of writing the synthetic cohort (0 when reused or not used). */
  synthSeconds: number;
}

/**
 * The configuration's slides with their labels, after writing the
 * synthetic cohort when no slides are given (sets `ctx.config.labels` to
 * the labels used).
 */
async function cohortSlides(
  ctx: CommandContext,
  options: Pick<
    PipelineOptions,
    "syntheticSlides" | "syntheticSides" | "syntheticTumour"
  >,
): Promise<Cohort> {
  const { config } = ctx;
  let slidesSource = config.slides;
  let labelsPath = config.labels;
  let synthSeconds = 0;
  if (!slidesSource) {
    const synthStart = performance.now();
    const dir = join(ctx.dir, "synthetic");
    const progress = ctx.progress("synth", { unit: "slides" });
    const cohort = await writeSyntheticCohort({
      outDir: dir,
      seed: config.seed,
      ...(options.syntheticSlides ? { slides: options.syntheticSlides } : {}),
      ...(options.syntheticSides ? { sides: options.syntheticSides } : {}),
      ...options.syntheticTumour,
      onSlide: (_s, i, total) => {
        progress.total = total;
        progress.tick(1, `slide ${i + 1}`);
      },
    });
    progress.done(cohort.reused ? "reused" : undefined);
    ctx.info(
      `cohort: ${cohort.slides.length} synthetic slides in ${dir}${
        cohort.reused ? " (reused)" : ""
      }`,
    );
    slidesSource = dir;
    labelsPath ??= cohort.labelsPath;
    if (!cohort.reused) synthSeconds = (performance.now() - synthStart) / 1000;
  }
  if (!labelsPath) {
    throw new Error(
      "The pipeline needs slide labels: give --labels CSV (slide_id,label)",
    );
  }
  ctx.config.labels = labelsPath;
  const labels = await readLabelsCsv(labelsPath);
  const slides: SlideRef[] = labelSlides(
    await listSlides(slidesSource, {
      onSkip: (e) => console.error(`pipeline: skipped ${e.path}: ${e.reason}`),
    }),
    labels,
  );
  const unlabeled = slides.filter((s) => s.label === undefined);
  if (unlabeled.length > 0) {
    throw new Error(
      `${unlabeled.length} slide(s) have no label in ${labelsPath}: ${
        unlabeled.slice(0, 5).map((s) => s.id).join(", ")
      }${unlabeled.length > 5 ? ", …" : ""}`,
    );
  }
  return { slides, labelsPath, synthSeconds };
}

/**
 * The chain's first half on one open store: the cohort's slides not yet
 * embedded → {@link TileStream} → {@link EmbedStream}, with progress, and
 * failures collected into `embedded`. `done()` ends the progress and
 * counts the cohort's tiles in the store once the embeddings are drained.
 */
async function embedChain(
  ctx: CommandContext,
  store: Store,
  encoder: Encoder,
  slides: readonly SlideRef[],
  embedded: Omit<EmbeddedSlides, "seconds" | "synthSeconds">,
): Promise<
  { embeddings: ReadableStream<TileEmbedding>; done(): Promise<void> }
> {
  const { config } = ctx;
  const done = new Set(
    (await store.embeddedSlides(encoder.name)).map((s) => s.slide),
  );
  const todo = slides.filter((s) => !done.has(s.id));
  if (done.size > 0) {
    ctx.info(`embed: ${slides.length - todo.length} slide(s) already embedded`);
  }
  const { failed } = embedded;
  const progress = ctx.progress("tile+embed", {
    total: todo.length,
    unit: "slides",
  });
  const qcDir = qcFolder(config.tile.qc, ctx.db);
  const tile = new TileStream({
    tileSize: config.tile.tileSize,
    overlap: config.tile.overlap,
    minTissue: config.tile.minTissue,
    reader: config.tile.reader,
    ...(config.tile.mpp ? { mpp: config.tile.mpp } : {}),
    ...(config.tile.magnification
      ? { magnification: config.tile.magnification }
      : {}),
    store,
    rerun: "reuse",
    ...(qcDir !== undefined ? { qcDir } : {}),
    onSlide: (r) => {
      if (r.status === "failed") {
        failed.push({ slideId: r.slideId, error: r.error ?? "" });
        progress.log(`tile: ${r.error}`);
      } else if (r.status === "empty") {
        progress.log(
          `tile: slide "${r.slideId}" has no tissue tiles${
            r.note ? ` (${r.note})` : ""
          }`,
        );
      }
      if (r.status === "failed" || r.status === "empty") progress.tick(1);
    },
    warn: (m) => progress.log(m),
  });
  const embed = new EmbedStream({
    encoder,
    store,
    batchSize: config.embed.batchSize,
    onSlideError: "skip",
    onSlide: (e) => {
      if (e.status === "failed") {
        failed.push({ slideId: e.slideId, error: e.error ?? "" });
        progress.log(`embed: ${e.error}`);
      }
      embedded.tiles += e.tiles;
      progress.tick(1, `${embedded.tiles} tiles`);
    },
  });
  return {
    embeddings: ReadableStream.from(todo).pipeThrough(tile).pipeThrough(embed),
    async done() {
      progress.done();
      const listed = new Set(slides.map((s) => s.id));
      for (const s of await store.embeddedSlides(encoder.name)) {
        if (listed.has(s.slide)) embedded.cohortTiles += s.n;
      }
    },
  };
}

/** Opens the configured encoder. */
function configuredEncoder(ctx: CommandContext): Promise<Encoder> {
  const { embed } = ctx.config;
  return openEncoder(embed.encoder, {
    ...(embed.threads ? { threads: embed.threads } : {}),
    device: embed.device,
  });
}

/**
 * The first half of the pipeline: writes the synthetic cohort when no
 * slides are given, then tiles and embeds every slide not yet embedded into
 * the store (sets `ctx.config.labels` to the labels used).
 */
export async function tileAndEmbed(
  ctx: CommandContext,
  options: Pick<
    PipelineOptions,
    "syntheticSlides" | "syntheticSides" | "syntheticTumour"
  > = {},
): Promise<EmbeddedSlides> {
  const cohort = await cohortSlides(ctx, options);
  const store = await ctx.openStore();
  const tileStart = performance.now();
  try {
    const encoder = await configuredEncoder(ctx);
    try {
      const embedded = {
        slides: cohort.slides.length,
        failed: [],
        tiles: 0,
        cohortTiles: 0,
        encoder: encoder.name,
      };
      const chain = await embedChain(
        ctx,
        store,
        encoder,
        cohort.slides,
        embedded,
      );
      // Embeddings land in the store; draining keeps the stages flowing.
      await chain.embeddings.pipeTo(new WritableStream());
      await chain.done();
      return {
        ...embedded,
        seconds: (performance.now() - tileStart) / 1000,
        synthSeconds: cohort.synthSeconds,
      };
    } finally {
      await encoder.close();
    }
  } finally {
    store.close();
  }
}

/**
 * Runs the whole pipeline as the configuration says, as one chain on one
 * open store: slides → {@link TileStream} → {@link EmbedStream} →
 * {@link BagStream} → splits → {@link TrainStream} (every model in turn, on
 * the same split) → {@link ReportStream} (each run evaluated at its best
 * epoch, one report comparing them).
 */
export async function runPipeline(
  ctx: CommandContext,
  options: PipelineOptions = {},
): Promise<PipelineSummary> {
  const t0 = performance.now();
  const models = options.models ?? [{
    model: ctx.config.train.model,
    modelOptions: ctx.config.train.modelOptions,
  }];
  if (models.length === 0) {
    throw new RangeError("The pipeline needs at least one model: got none");
  }
  // A misspelt model or option fails now, not after tiling and embedding.
  for (const m of models) checkUserOptions(m.model, m.modelOptions ?? {});
  const cohort = await cohortSlides(ctx, options);
  const store = await ctx.openStore();
  const times = { tile: performance.now(), train: 0, report: 0 };
  try {
    const encoder = await configuredEncoder(ctx);
    let encoderOpen = true;
    const closeEncoder = async () => {
      if (encoderOpen) await encoder.close();
      encoderOpen = false;
    };
    try {
      ctx.config.train.encoder = encoder.name;
      const embedded = {
        slides: cohort.slides.length,
        failed: [] as EmbeddedSlides["failed"],
        tiles: 0,
        cohortTiles: 0,
        encoder: encoder.name,
      };
      const chain = await embedChain(
        ctx,
        store,
        encoder,
        cohort.slides,
        embedded,
      );
      const labels = await configuredLabels(ctx);
      let fold: number | undefined;
      const trained: { model: PipelineModel; run: string; start: number }[] =
        [];
      const events: EpochEvent[] = [];
      const [report] = await Array.fromAsync(
        chain.embeddings
          .pipeThrough(
            new BagStream({
              store,
              encoder: encoder.name,
              defaultSplit: "train",
              ...(labels ? { labels } : {}),
            }),
          )
          .pipeThrough(
            new ConcurrentMapStream(async (bags: BagSource) => {
              await chain.done();
              await closeEncoder();
              times.train = performance.now();
              if (labels) {
                checkNamedSlides(
                  ctx,
                  [...labels.keys()],
                  bags.infos,
                  cohort.labelsPath,
                );
              }
              await useBackend(ctx.config.backend as BackendChoice, {
                quiet: ctx.quiet,
                ...(options.threads ? { threads: options.threads } : {}),
              });
              const split = await splitSource(bags, ctx);
              fold = split.fold;
              return split.source;
            }, 1),
          )
          .pipeThrough(
            new TrainStream(
              models.map((model, i) => (bags: BagSource) => {
                // Each model on its own copy of the configuration: same
                // seed, folds and training settings, so the same split.
                const config = structuredClone(ctx.config);
                config.train.model = model.model;
                config.train.modelOptions = { ...(model.modelOptions ?? {}) };
                const run = options.run === undefined
                  ? undefined
                  : i === 0
                  ? options.run
                  : `${options.run}.${model.model}`;
                const r = configuredRun({ ...ctx, config }, store, bags, {
                  ...(run ? { run } : {}),
                  ...(fold === undefined ? {} : { fold }),
                });
                trained.push({ model, run: r.runId, start: performance.now() });
                return r;
              }),
            ),
          )
          .pipeThrough(runsOfEvents(events, () => {
            times.report = performance.now();
            return trained.map((t) => t.run);
          }))
          .pipeThrough(
            new ReportStream({
              store,
              outDir: (runs) => join(ctx.dir, "reports", runs[0]!),
              evaluate: { epoch: "best" },
            }),
          ),
      );
      const runs = trained.map((t, i): PipelineRun => {
        const train = trainSummary(t.run, t.model.model, events);
        const end = trained[i + 1]?.start ?? times.report;
        return {
          model: t.model,
          train,
          evaluation: report!.evaluations.find((e) => e.run.id === t.run)!,
          seconds: (end - t.start) / 1000,
        };
      });
      const now = performance.now();
      const t = ctx.config.train;
      return {
        slides: embedded.slides,
        failed: embedded.failed,
        tiles: embedded.tiles,
        cohortTiles: embedded.cohortTiles,
        encoder: encoder.name,
        settings: {
          epochs: t.epochs,
          lr: t.lr,
          weightDecay: t.weightDecay,
          seed: ctx.config.seed,
          folds: t.folds,
          fold: t.fold,
        },
        runs,
        report: report!.html,
        seconds: {
          synth: cohort.synthSeconds,
          tile: (times.train - times.tile) / 1000,
          train: (times.report - times.train) / 1000,
          report: (now - times.report) / 1000,
          total: (now - t0) / 1000,
        },
      };
    } finally {
      await closeEncoder();
    }
  } finally {
    store.close();
  }
}

/**
 * A pass-through end of the train stage: keeps the epoch events in
 * `events` and, when they end, emits the id of every run `runs()` names
 * (also one resumed with no epoch left), for the report stage.
 */
function runsOfEvents(
  events: EpochEvent[],
  runs: () => readonly string[],
): TransformStream<EpochEvent, { run: string }> {
  return new TransformStream({
    transform(event) {
      events.push(event);
    },
    flush(controller) {
      for (const run of runs()) controller.enqueue({ run });
    },
  });
}
