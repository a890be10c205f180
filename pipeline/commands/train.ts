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
import { type BackendChoice, useBackend } from "../../models/backend/mod.ts";
import { bagsFromStore } from "../../stages/bag/bags_from_store.ts";
import { stratifiedKFold } from "../../stages/bag/kfold.ts";
import { parseSplitJson, readLabelsCsv } from "../../stages/bag/labels.ts";
import { type EpochEvent, trainModel } from "../../stages/train/trainer.ts";
import type { Bag, Split } from "../types.ts";
import type { CommandContext } from "../cli_context.ts";

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
 * Assigns splits: a split file wins, then splits stored with the slides,
 * else a seeded stratified k-fold (fold `fold` of `folds`).
 */
export async function assignSplits(
  bags: Bag[],
  ctx: CommandContext,
): Promise<{ bags: Bag[]; fold?: number }> {
  const { config } = ctx;
  if (config.split) {
    const splits = parseSplitJson(
      await Deno.readTextFile(config.split),
      config.split,
    );
    for (const bag of bags) {
      const s = splits.get(bag.slideId);
      if (!s) {
        throw new Error(
          `Slide "${bag.slideId}" is in no list of split file ${config.split}`,
        );
      }
      bag.split = s;
    }
    return { bags };
  }
  const stored = new Set(bags.map((b) => b.split));
  if (stored.has("train") && (stored.has("val") || stored.has("test"))) {
    return { bags };
  }
  const labels = new Map(bags.map((b) => [b.slideId, b.label]));
  const { folds, fold } = config.train;
  const splits: Map<string, Split> = stratifiedKFold(
    labels,
    folds,
    fold,
    config.seed,
  );
  ctx.info(
    `splits: stratified ${folds}-fold, fold ${fold} (seed ${config.seed})`,
  );
  for (const bag of bags) bag.split = splits.get(bag.slideId) as Split;
  return { bags, fold };
}

async function loadBags(
  ctx: CommandContext,
  store: Store,
  data: "store" | "generated",
): Promise<Bag[]> {
  if (data === "generated") {
    return featureBags({ count: 60, dim: 64, seed: ctx.config.seed });
  }
  const { config } = ctx;
  const options: Parameters<typeof bagsFromStore>[1] = {
    defaultSplit: "train",
  };
  const encoder = config.train.encoder ?? config.embed.encoder;
  const encoders = await store.query(
    "SELECT DISTINCT encoder FROM embeddings",
  );
  if (encoders.some((r) => r.encoder === encoder)) options.encoder = encoder;
  if (config.labels) {
    options.labels = (await readLabelsCsv(config.labels)).labels;
  }
  return await bagsFromStore(store, options);
}

/** Trains one model as the configuration says; returns its events. */
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
    const loaded = await loadBags(ctx, store, options.data ?? "store");
    const { bags, fold } = await assignSplits(loaded, ctx);
    const numClasses = Math.max(2, ...bags.map((b) => b.label + 1));
    const t = config.train;
    const build: BuildOptions = {
      ...t.modelOptions,
      inputDim: bags[0]!.dim,
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
    const outDir = options.outDir ?? `${ctx.dir}/runs`;
    ctx.info(
      `train ${run}: ${bags.length} bags (${
        ["train", "val", "test"].map((s) =>
          `${bags.filter((b) => b.split === s).length} ${s}`
        ).join(", ")
      }), D ${bags[0]!.dim}, ${numClasses} classes`,
    );
    const events: EpochEvent[] = [];
    try {
      for await (
        const e of trainModel(model, bags, {
          runId: run,
          epochs: t.epochs,
          lr: t.lr,
          weightDecay: t.weightDecay,
          clipNorm: t.clipNorm,
          seed: config.seed,
          fold: fold ?? null,
          store,
          outDir,
          recordTrainAttention: t.recordTrainAttention,
          config: {
            ...config,
            model: { name: t.model, options: model.options },
          },
          quiet: ctx.quiet,
          onLog: (m) => ctx.info(m),
        })
      ) events.push(e);
    } finally {
      model.dispose();
    }
    const last = events.at(-1);
    return {
      run,
      model: t.model,
      events,
      bestEpoch: last?.bestEpoch ?? -1,
    };
  } finally {
    store.close();
  }
}
