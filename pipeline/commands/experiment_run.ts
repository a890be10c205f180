/**
 * One run of an experiment: its bags split for a seed and fold, then
 * trained and evaluated, or skipped when the store says it finished.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import { buildModel } from "../../models/anchor_factory.ts";
import type { AnchorOptions } from "../../models/anchor.ts";
import { evaluateRun } from "../../stages/evaluate/evaluate_run.ts";
import {
  classCount,
  type TrainRun,
  TrainStream,
} from "../../stages/train/train_stream.ts";
import type { CommandContext } from "../cli_context.ts";
import type { BagSource } from "../../stages/bag/bag_source.ts";
import {
  anchorOption,
  type AnchorVariants,
  type ExperimentConfiguration,
} from "./experiment_plan.ts";
import { protocolOptions, splitSource } from "./train.ts";

/**
 * `source` with the splits of `seed` and `fold`: a split file or splits
 * stored with the slides win, else fold `fold` of a seeded stratified
 * `folds`-fold split.
 */
export async function splitBags(
  ctx: CommandContext,
  source: BagSource,
  seed: number,
  folds: number,
  fold: number,
): Promise<BagSource> {
  const { source: split } = await splitSource(source, {
    ...ctx,
    config: {
      ...ctx.config,
      seed,
      train: { ...ctx.config.train, folds, fold },
    },
    info: () => {},
  });
  return split;
}

/** Settings of one run. */
export interface RunSettings {
  id: string;
  seed: number;
  fold: number;
  outDir: string;
  epochs: number;
  lr: number;
  weightDecay: number;
  clipNorm: number | null;
  modelOptions: Record<string, Record<string, unknown>>;
  /** Overrides of the anchor's momentum, temperature and loss weight. */
  anchor: AnchorSettings;
  /** The experiment's own anchor variants (see `anchorOption`). */
  anchorVariants?: AnchorVariants;
}

/** Anchor settings an experiment may change (the same for every model). */
export type AnchorSettings = Partial<AnchorOptions>;

/**
 * Trains run `s.id` of configuration `c` unless it finished before (an
 * interrupted run continues from its checkpoint), then evaluates it at its
 * best-validation epoch, writing the metric rows the table is built from.
 * Returns true when it trained or evaluated, false when it skipped.
 *
 * @example
 * ```ts ignore
 * const bags = await splitBags(ctx, data.bags, 1, 5, 0);
 * await trainRun(ctx, store, { model: "abmil", anchor: "ema" }, bags, settings);
 * ```
 */
export async function trainRun(
  ctx: CommandContext,
  store: Store,
  c: ExperimentConfiguration,
  bags: BagSource,
  s: RunSettings,
): Promise<boolean> {
  const existing = await store.runState(s.id);
  if (existing?.status === "finished" && existing.evaluated) {
    ctx.info(`experiment: ${s.id} finished before, skipped`);
    return false;
  }
  if (existing?.status !== "finished") {
    // A run killed before its first checkpoint starts afresh: the trainer
    // drops what it recorded.
    await ReadableStream.from([bags]).pipeThrough(
      new TrainStream((source) => experimentRun(ctx, store, c, source, s)),
    ).pipeTo(new WritableStream());
  }
  // Metric rows of an earlier evaluation (another best epoch) go first.
  await store.deleteMetrics(s.id);
  await evaluateRun({
    store,
    run: s.id,
    epoch: "best",
    bootstrap: { resamples: 200 },
  });
  return true;
}

/**
 * The train stage's run of configuration `c` with settings `s`: the model
 * with its anchor variant, the experiment's protocol (the configuration's
 * clip scope, selection rule and decay-without-gradient beside the grid's
 * epochs, rate, decay and clip), recorded in the run's config.
 */
function experimentRun(
  ctx: CommandContext,
  store: Store,
  c: ExperimentConfiguration,
  bags: BagSource,
  s: RunSettings,
): TrainRun {
  const variant = anchorOption(c.anchor, s.anchorVariants);
  const model = buildModel(c.model, {
    ...s.modelOptions[c.model],
    inputDim: bags.infos[0]!.dim,
    numClasses: classCount(bags.infos),
    seed: s.seed,
    anchor: variant === false ? false : { ...variant, ...s.anchor },
  });
  // The protocol goes to the trainer and into the run's recorded config.
  const protocol = {
    ...protocolOptions(ctx.config.train),
    epochs: s.epochs,
    lr: s.lr,
    weightDecay: s.weightDecay,
    clipNorm: s.clipNorm,
    seed: s.seed,
    fold: s.fold,
  };
  return {
    model,
    runId: s.id,
    ...protocol,
    store,
    outDir: s.outDir,
    config: {
      experiment: s.id.split(".")[1],
      model: { name: c.model, options: model.options },
      anchor: c.anchor,
      ...protocol,
    },
    quiet: ctx.quiet,
    onLog: (m) => ctx.info(m),
  };
}
