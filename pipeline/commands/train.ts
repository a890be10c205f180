/**
 * `asmil train`: bags from the store (or generated feature bags), splits
 * from the store, a split file or a seeded k-fold, then the trainer.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import { featureBags } from "../../data/feature_bags.ts";
import { buildModel, type BuildOptions } from "../../models/anchor_factory.ts";
import "../../models/all.ts";
import { checkUserOptions } from "../../models/registry.ts";
import { type BackendChoice, useBackend } from "../../models/backend/mod.ts";
import {
  type BagsFromStoreOptions,
  StoreBagSource,
} from "../../stages/bag/bags_from_store.ts";
import {
  type BagInfo,
  type BagSource,
  memoryBagSource,
  withSplits,
} from "../../stages/bag/bag_source.ts";
import { embeddingEncoders } from "../../data/bag_queries.ts";
import { stratifiedKFold } from "../../core/kfold.ts";
import {
  checkClassNames,
  classCounts,
  parseSplitJson,
  readLabelsCsv,
} from "../../stages/bag/labels.ts";
import type { EpochEvent, TrainOptions } from "../../stages/train/trainer.ts";
import {
  classCount,
  type TrainRun,
  TrainStream,
} from "../../stages/train/train_stream.ts";
import { smallSplitWarning } from "./small_splits.ts";
import type { Split } from "../../core/types.ts";
import type { CommandContext } from "../cli_context.ts";
import type { Config } from "../config.ts";

/** What `asmil train` takes beyond the configuration file. */
export interface TrainCommandOptions {
  /** `store` (default) or `generated` feature bags. */
  data?: "store" | "generated";
  /** Run id; an existing run with a checkpoint resumes. */
  run?: string;
  /** Folder for weights and checkpoints; default `<db folder>/runs`. */
  outDir?: string;
  threads?: number;
}

/** The result of a training run. */
export interface TrainSummary {
  run: string;
  model: string;
  events: EpochEvent[];
  bestEpoch: number;
}

/** A run id from the model, seed, fold and time. */
export function defaultRunId(
  model: string,
  anchored: boolean,
  seed: number,
  fold: number | undefined,
): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(
    /\.\d+Z$/,
    "",
  );
  return `${model}${anchored ? "+anchor" : ""}-s${seed}${
    fold === undefined ? "" : `-f${fold}`
  }-${stamp}`;
}

/**
 * The splits to train with: a split file wins, then splits stored with the
 * slides (`splits` undefined: keep them), else a seeded stratified k-fold
 * (fold `fold` of `folds`).
 */
export async function assignSplits(
  infos: readonly BagInfo[],
  ctx: CommandContext,
): Promise<{ splits?: Map<string, Split>; fold?: number }> {
  const { config } = ctx;
  if (config.split) {
    const splits = parseSplitJson(
      await Deno.readTextFile(config.split),
      config.split,
    );
    checkNamedSlides(ctx, [...splits.keys()], infos, config.split);
    for (const info of infos) {
      if (!splits.has(info.slideId)) {
        throw new Error(
          `Slide "${info.slideId}" is in no list of split file ${config.split}`,
        );
      }
    }
    return { splits };
  }
  const stored = new Set(infos.map((b) => b.split));
  if (stored.has("train") && (stored.has("val") || stored.has("test"))) {
    return {};
  }
  const labels = new Map(infos.map((b) => [b.slideId, b.label]));
  const { folds, fold } = config.train;
  const perClass = new Map<number, number>();
  for (const c of labels.values()) perClass.set(c, (perClass.get(c) ?? 0) + 1);
  const small = [...perClass].filter(([, n]) => n < folds);
  if (small.length > 0) {
    throw new Error(
      `A stratified ${folds}-fold split needs at least ${folds} slides of every class: ${
        small.map(([c, n]) => `class ${c} has ${n}`).join(", ")
      }; use --folds ${
        Math.max(3, Math.min(...small.map(([, n]) => n)))
      } or fewer, or give a split file`,
    );
  }
  const splits: Map<string, Split> = stratifiedKFold(
    labels,
    folds,
    fold,
    config.seed,
  );
  ctx.info(
    `splits: stratified ${folds}-fold, fold ${fold} (seed ${config.seed})`,
  );
  return { splits, fold };
}

/** The bags to train on, with their splits; see {@link assignSplits}. */
export async function splitSource(
  source: BagSource,
  ctx: CommandContext,
): Promise<{ source: BagSource; fold?: number }> {
  const { splits, fold } = await assignSplits(source.infos, ctx);
  return {
    source: splits ? withSplits(source, splits) : source,
    ...(fold === undefined ? {} : { fold }),
  };
}

/**
 * The bags of the configured encoder (labels from the labels CSV when
 * given, else from the store), one slide per read.
 */
export async function storeBagSource(
  ctx: CommandContext,
  store: Store,
): Promise<StoreBagSource> {
  const { config } = ctx;
  const options: BagsFromStoreOptions = { defaultSplit: "train" };
  const encoder = config.train.encoder ?? config.embed.encoder;
  if ((await embeddingEncoders(store)).includes(encoder)) {
    options.encoder = encoder;
  }
  const labels = await configuredLabels(ctx);
  if (labels) options.labels = labels;
  const embedded = await StoreBagSource.open(store, options);
  if (labels && config.labels) {
    checkNamedSlides(ctx, [...labels.keys()], embedded.infos, config.labels);
  }
  return embedded;
}

/**
 * The class index of every slide in the configuration's labels CSV (class
 * names indexed in sorted order, said), or undefined without one.
 */
export async function configuredLabels(
  ctx: CommandContext,
): Promise<Map<string, number> | undefined> {
  const path = ctx.config.labels;
  if (!path) return undefined;
  const table = await readLabelsCsv(path);
  checkClassNames(table, path);
  ctx.info(
    `classes from ${path}: ${
      table.classes.map((name, i) => `${name} → ${i}`).join(", ")
    } (slides per class: ${classCounts(table)})`,
  );
  return table.labels;
}

/**
 * Refuses a labels CSV or split file that names slides without
 * embeddings in the store (naming them), or only warns with
 * `allowMissing`.
 */
export function checkNamedSlides(
  ctx: CommandContext,
  named: readonly string[],
  infos: readonly BagInfo[],
  source: string,
): void {
  const present = new Set(infos.map((i) => i.slideId));
  const missing = named.filter((id) => !present.has(id));
  if (missing.length === 0) return;
  const list = `${missing.slice(0, 10).map((s) => `"${s}"`).join(", ")}${
    missing.length > 10 ? ` and ${missing.length - 10} more` : ""
  }`;
  const what =
    `${source} names ${missing.length} slide(s) with no embeddings in ${ctx.db}: ${list}`;
  if (!ctx.config.allowMissing) {
    throw new Error(
      `${what}; tile and embed them, fix the file, or pass --allow-missing to train without them`,
    );
  }
  ctx.info(`warning: ${what}; training without them (--allow-missing)`);
}

async function loadSource(
  ctx: CommandContext,
  store: Store,
  data: "store" | "generated",
): Promise<BagSource> {
  if (data === "generated") {
    return memoryBagSource(
      featureBags({ count: 60, dim: 64, seed: ctx.config.seed }),
    );
  }
  return await storeBagSource(ctx, store);
}

/** The trainer's protocol as the configuration's `train` section sets it. */
export function protocolOptions(t: Config["train"]): Required<
  Pick<
    TrainOptions,
    | "epochs"
    | "lr"
    | "weightDecay"
    | "clipNorm"
    | "clipScope"
    | "selection"
    | "decayWithoutGradient"
  >
> {
  return {
    epochs: t.epochs,
    lr: t.lr,
    weightDecay: t.weightDecay,
    clipNorm: t.clipNorm,
    clipScope: t.clipScope,
    selection: t.selection,
    decayWithoutGradient: t.decayWithoutGradient,
  };
}

/** Options of {@link configuredRun}. */
export interface ConfiguredRunOptions {
  /** Run id (default: {@link defaultRunId}). */
  run?: string;
  /** Folder for weights and checkpoints; default `<db folder>/runs`. */
  outDir?: string;
  /** The k-fold fold the splits come from (none for a split file or stored splits). */
  fold?: number;
}

/**
 * The train stage's run of the configured model on `bags` (the model
 * built for their width and classes, the protocol, the recorded
 * configuration), saying what it trains and warning of small splits.
 */
export function configuredRun(
  ctx: CommandContext,
  store: Store,
  bags: BagSource,
  options: ConfiguredRunOptions = {},
): TrainRun {
  const { config } = ctx;
  const { infos } = bags;
  const { fold } = options;
  if (infos.length === 0) {
    throw new Error(`No bags to train on in ${store.path}`);
  }
  const numClasses = classCount(infos);
  const t = config.train;
  const small = smallSplitWarning(infos, numClasses, {
    ...(fold === undefined ? {} : { folds: t.folds }),
  });
  if (small) ctx.info(small);
  checkUserOptions(t.model, t.modelOptions);
  const build: BuildOptions = {
    ...t.modelOptions,
    inputDim: infos[0]!.dim,
    numClasses,
    seed: config.seed,
  };
  if (t.anchor !== undefined) {
    build.anchor = typeof t.anchor === "boolean"
      ? t.anchor
      : Object.fromEntries(
        Object.entries(t.anchor).filter(([, v]) => v !== undefined),
      );
  }
  const model = buildModel(t.model, build);
  const anchored = "anchor" in model.options;
  const run = options.run ??
    defaultRunId(t.model, anchored && t.model !== "asmil", config.seed, fold);
  ctx.info(
    `train ${run}: ${infos.length} bags (${
      ["train", "val", "test"].map((s) =>
        `${infos.filter((b) => b.split === s).length} ${s}`
      ).join(", ")
    }), D ${infos[0]!.dim}, ${numClasses} classes`,
  );
  return {
    model,
    runId: run,
    ...protocolOptions(t),
    seed: config.seed,
    fold: fold ?? null,
    store,
    outDir: options.outDir ?? `${ctx.dir}/runs`,
    recordTrainAttention: t.recordTrainAttention,
    recordHeads: t.recordHeads,
    config: { ...config, model: { name: t.model, options: model.options } },
    quiet: ctx.quiet,
    onLog: (m) => ctx.info(m),
  };
}

/** The run's summary from the train stage's events. */
export function trainSummary(
  run: string,
  model: string,
  events: readonly EpochEvent[],
): TrainSummary {
  const mine = events.filter((e) => e.run === run);
  return {
    run,
    model,
    events: mine,
    bestEpoch: mine.at(-1)?.bestEpoch ?? -1,
  };
}

/**
 * Trains one model as the configuration says: the store's bags (or
 * generated ones), split, through the train stage; returns its events.
 */
export async function runTrain(
  ctx: CommandContext,
  options: TrainCommandOptions = {},
): Promise<TrainSummary> {
  const { config } = ctx;
  await useBackend(config.backend as BackendChoice, {
    quiet: ctx.quiet,
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const store = await ctx.openStore();
  try {
    const loaded = await loadSource(ctx, store, options.data ?? "store");
    const { source: bags, fold } = await splitSource(loaded, ctx);
    let run = "";
    const events = await Array.fromAsync(
      ReadableStream.from([bags]).pipeThrough(
        new TrainStream((source) => {
          const r = configuredRun(ctx, store, source, {
            ...(options.run ? { run: options.run } : {}),
            ...(options.outDir ? { outDir: options.outDir } : {}),
            ...(fold === undefined ? {} : { fold }),
          });
          run = r.runId;
          return r;
        }),
      ),
    );
    return trainSummary(run, config.train.model, events);
  } finally {
    store.close();
  }
}
