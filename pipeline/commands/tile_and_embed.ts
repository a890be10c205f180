/**
 * The pipeline's first half: the cohort's slides (the built-in synthetic
 * cohort when none are given) with their labels, and the chain slides →
 * {@link TileStream} → {@link EmbedStream} on an open store, which
 * `runPipeline` continues and `tileAndEmbed` drains.
 *
 * @module
 */
import { join } from "node:path";
import {
  type SyntheticCohortOptions,
  writeSyntheticCohort,
} from "../../data/synthetic/cohort.ts";
import type { Store } from "../../data/store.ts";
import { listSlides } from "../../stages/tile/slide_list.ts";
import { TileStream } from "../../stages/tile/tile_stream.ts";
import { EmbedStream } from "../../stages/embed/embed_stream.ts";
import type { Encoder } from "../../stages/embed/encoder.ts";
import { openEncoder } from "../../stages/embed/open_encoder.ts";
import { labelSlides, readLabelsCsv } from "../../stages/bag/labels.ts";
import type { SlideRef, TileEmbedding } from "../../core/types.ts";
import type { CommandContext } from "../cli_context.ts";
import { qcFolder } from "../config.ts";

/** Where the synthetic cohort comes from when no slides are given. */
export interface SyntheticCohortChoice {
  /** Synthetic cohort size when no slides are given. */
  syntheticSlides?: number;
  /** Synthetic slide side lengths (multiples of 512; small ones for tests). */
  syntheticSides?: readonly number[];
  /** Ranges of the synthetic positive slides' tumour fraction and grade. */
  syntheticTumour?: Pick<
    SyntheticCohortOptions,
    "tumourFraction" | "tumourGrade"
  >;
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
export interface Cohort {
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
export async function cohortSlides(
  ctx: CommandContext,
  options: SyntheticCohortChoice,
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
 * counts and failures collected into `embedded`. `done()` ends the
 * progress and counts the cohort's tiles in the store once the embeddings
 * are drained.
 */
export async function embedChain(
  ctx: CommandContext,
  store: Store,
  encoder: Encoder,
  slides: readonly SlideRef[],
): Promise<{
  embeddings: ReadableStream<TileEmbedding>;
  embedded: Omit<EmbeddedSlides, "seconds" | "synthSeconds">;
  done(): Promise<void>;
}> {
  const { config } = ctx;
  const done = new Set(
    (await store.embeddedSlides(encoder.name)).map((s) => s.slide),
  );
  const todo = slides.filter((s) => !done.has(s.id));
  if (done.size > 0) {
    ctx.info(`embed: ${slides.length - todo.length} slide(s) already embedded`);
  }
  const embedded = {
    slides: slides.length,
    failed: [] as EmbeddedSlides["failed"],
    tiles: 0,
    cohortTiles: 0,
    encoder: encoder.name,
  };
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
    embedded,
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
export function configuredEncoder(ctx: CommandContext): Promise<Encoder> {
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
  options: SyntheticCohortChoice = {},
): Promise<EmbeddedSlides> {
  const cohort = await cohortSlides(ctx, options);
  const store = await ctx.openStore();
  const tileStart = performance.now();
  try {
    const encoder = await configuredEncoder(ctx);
    try {
      const chain = await embedChain(ctx, store, encoder, cohort.slides);
      // Embeddings land in the store; draining keeps the stages flowing.
      await chain.embeddings.pipeTo(new WritableStream());
      await chain.done();
      return {
        ...chain.embedded,
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
