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
import type { EpochEvent } from "../../stages/train/trainer.ts";
import { BagStream } from "../../stages/bag/bag_stream.ts";
import type { BagSource } from "../../stages/bag/bag_source.ts";
import { TrainStream } from "../../stages/train/train_stream.ts";
import { ReportStream } from "../../stages/evaluate/report_stream.ts";
import type { RunEvaluation } from "../../stages/evaluate/evaluate_run.ts";
import { ConcurrentMapStream } from "../../core/concurrent_map_stream.ts";
import type { CommandContext } from "../cli_context.ts";
import {
  checkNamedSlides,
  configuredLabels,
  configuredRun,
  splitSource,
  type TrainSummary,
  trainSummary,
} from "./train.ts";
import {
  cohortSlides,
  configuredEncoder,
  embedChain,
  type SyntheticCohortChoice,
} from "./tile_and_embed.ts";
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
export interface PipelineOptions extends SyntheticCohortChoice {
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

export { type EmbeddedSlides, tileAndEmbed } from "./tile_and_embed.ts";

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
      const chain = await embedChain(ctx, store, encoder, cohort.slides);
      const { embedded } = chain;
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
