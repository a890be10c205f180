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
import { writeSyntheticCohort } from "../../data/synthetic/cohort.ts";
import { listSlides } from "../../stages/tile/slide_list.ts";
import { TileStream } from "../../stages/tile/tile_stream.ts";
import { EmbedStream } from "../../stages/embed/embed_stream.ts";
import { openEncoder } from "../../stages/embed/open_encoder.ts";
import { labelSlides, readLabelsCsv } from "../../stages/bag/labels.ts";
import type { CommandContext } from "../cli_context.ts";
import { qcFolder } from "../config.ts";
import type { SlideRef } from "../types.ts";
import { runTrain, type TrainSummary } from "./train.ts";
import {
  evaluateRun,
  type RunEvaluation,
} from "../../stages/evaluate/evaluate_run.ts";
import { writeReport } from "../../stages/evaluate/report.ts";

/** Options of {@link runPipeline} beyond the configuration. */
export interface PipelineOptions {
  /** Synthetic cohort size when no slides are given. */
  syntheticSlides?: number;
  /** Synthetic slide side lengths (multiples of 512; small ones for tests). */
  syntheticSides?: readonly number[];
  /** Run id for the training run (resumes when it has a checkpoint). */
  run?: string;
  threads?: number;
}

/** What the pipeline produced. */
export interface PipelineSummary {
  slides: number;
  failed: { slideId: string; error: string }[];
  tiles: number;
  encoder: string;
  train: TrainSummary;
  /** Metrics (with intervals) at the best epoch and stability of the run. */
  evaluation: RunEvaluation;
  /** Path of the HTML report. */
  report: string;
  seconds: { tile: number; train: number; report: number; total: number };
}

/** What {@link tileAndEmbed} did. */
export interface EmbeddedSlides {
  /** Slides listed (embedded now or before). */
  slides: number;
  failed: { slideId: string; error: string }[];
  /** Tiles embedded by this call. */
  tiles: number;
  encoder: string;
  seconds: number;
}

/**
 * The first half of the pipeline: writes the synthetic cohort when no
 * slides are given, then tiles and embeds every slide not yet embedded into
 * the store (sets `ctx.config.labels` to the labels used).
 */
export async function tileAndEmbed(
  ctx: CommandContext,
  options: Pick<PipelineOptions, "syntheticSlides" | "syntheticSides"> = {},
): Promise<EmbeddedSlides> {
  const { config } = ctx;
  let slidesSource = config.slides;
  let labelsPath = config.labels;
  if (!slidesSource) {
    const dir = join(ctx.dir, "synthetic");
    const progress = ctx.progress("synth", { unit: "slides" });
    const cohort = await writeSyntheticCohort({
      outDir: dir,
      seed: config.seed,
      ...(options.syntheticSlides ? { slides: options.syntheticSlides } : {}),
      ...(options.syntheticSides ? { sides: options.syntheticSides } : {}),
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
  }
  if (!labelsPath) {
    throw new Error(
      "The pipeline needs slide labels: give --labels CSV (slide_id,label)",
    );
  }
  ctx.config.labels = labelsPath;
  const labels = await readLabelsCsv(labelsPath);
  const slides: SlideRef[] = labelSlides(
    await listSlides(slidesSource),
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

  const store = await ctx.openStore();
  const failed: PipelineSummary["failed"] = [];
  let tiles = 0, encoderName = "";
  const tileStart = performance.now();
  try {
    const encoder = await openEncoder(config.embed.encoder, {
      ...(config.embed.threads ? { threads: config.embed.threads } : {}),
    });
    encoderName = encoder.name;
    try {
      const done = new Set(
        (await store.query(
          "SELECT DISTINCT slide FROM embeddings WHERE encoder = ?",
          [encoder.name],
        )).map((r) => String(r.slide)),
      );
      const todo = slides.filter((s) => !done.has(s.id));
      if (done.size > 0) {
        ctx.info(
          `embed: ${slides.length - todo.length} slide(s) already embedded`,
        );
      }
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
          tiles += e.tiles;
          progress.tick(1, `${tiles} tiles`);
        },
      });
      for await (
        const _ of ReadableStream.from(todo).pipeThrough(tile).pipeThrough(
          embed,
        )
      ) {
        // Embeddings land in the store; draining keeps the stages flowing.
      }
      progress.done();
    } finally {
      await encoder.close();
    }
  } finally {
    store.close();
  }
  return {
    slides: slides.length,
    failed,
    tiles,
    encoder: encoderName,
    seconds: (performance.now() - tileStart) / 1000,
  };
}

/** Runs the whole pipeline as the configuration says. */
export async function runPipeline(
  ctx: CommandContext,
  options: PipelineOptions = {},
): Promise<PipelineSummary> {
  const t0 = performance.now();
  const embedded = await tileAndEmbed(ctx, options);
  const { failed, tiles, encoder: encoderName } = embedded;
  const tileSeconds = embedded.seconds;

  ctx.config.train.encoder = encoderName;
  const trainStart = performance.now();
  const train = await runTrain(ctx, {
    ...(options.run ? { run: options.run } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const reportStart = performance.now();
  const reportStore = await ctx.openStore();
  let evaluation: RunEvaluation, report: string;
  try {
    evaluation = await evaluateRun({
      store: reportStore,
      run: train.run,
      epoch: "best",
    });
    const written = await writeReport({
      store: reportStore,
      runs: [train.run],
      outDir: join(ctx.dir, "reports", train.run),
      evaluations: [evaluation],
    });
    report = written.html;
  } finally {
    reportStore.close();
  }
  const now = performance.now();
  return {
    slides: embedded.slides,
    failed,
    tiles,
    encoder: encoderName,
    train,
    evaluation,
    report,
    seconds: {
      tile: tileSeconds,
      train: (reportStart - trainStart) / 1000,
      report: (now - reportStart) / 1000,
      total: (now - t0) / 1000,
    },
  };
}
