/**
 * The grid of an experiment: its name, data, configurations and every run
 * (configuration × seed × fold) numbered in the order one process trains
 * them. `asmil experiment` trains the whole grid; `--plan` prints it,
 * `--task i/n` trains the runs whose number is i mod n (round robin, so
 * every task gets every configuration's share of the cost) and `--collect`
 * writes the outputs once all are in the store.
 *
 * @module
 */
import { join } from "node:path";
import { listModels } from "../../models/all.ts";
import { checkUserOptions } from "../../models/registry.ts";
import { TRAIN_DEFAULTS } from "../../stages/train/train_options.ts";
import type { Store } from "../../data/store.ts";
import type { CommandContext } from "../cli_context.ts";
import type { Shard } from "../../core/shard.ts";
import type { ExperimentOptions } from "./experiment.ts";
import {
  type ExperimentData,
  experimentData,
  type ExperimentSource,
} from "./experiment_data.ts";
import {
  type AnchorVariants,
  checkAnchorVariants,
  type ExperimentConfiguration,
  experimentConfigurations,
  experimentRunId,
  shortHash,
} from "./experiment_plan.ts";

/** One run of the grid. */
export interface GridRun {
  /** Its number, from 0, in the order one process trains them. */
  index: number;
  id: string;
  seed: number;
  fold: number;
  configuration: ExperimentConfiguration;
}

/** The training settings shared by every run (hashed into the name). */
export interface GridTraining {
  epochs: number;
  lr: number;
  weightDecay: number;
  clipNorm: number | null;
  modelOptions: Record<string, Record<string, unknown>>;
  anchor?: NonNullable<ExperimentOptions["anchor"]>;
  /** The variants the experiment defines (see `ExperimentOptions`). */
  anchorVariants?: AnchorVariants;
}

/** An experiment resolved against its data (see the module doc). */
export interface ExperimentGrid {
  name: string;
  outDir: string;
  source: ExperimentSource;
  data: ExperimentData;
  configurations: ExperimentConfiguration[];
  seeds: number;
  /** k of the k-fold split the folds come from. */
  k: number;
  folds: number[];
  training: GridTraining;
  /** How the slides are split, for the table's heading. */
  splitText: string;
  runs: GridRun[];
}

/**
 * Checks the options that need no data (models, seeds, model options), so
 * a misspelt model fails before any data is made.
 */
export function checkExperimentOptions(options: ExperimentOptions): void {
  const models = options.models ?? listModels();
  experimentConfigurations(models, options.anchors);
  checkAnchorVariants(options.anchors, options.anchorVariants);
  for (const m of models) {
    if (!listModels().includes(m)) {
      throw new Error(
        `Unknown model "${m}" in --models: expected some of ${
          listModels().join(", ")
        }`,
      );
    }
  }
  const seeds = options.seeds ?? 5;
  if (!Number.isInteger(seeds) || seeds < 1) {
    throw new RangeError(
      `--seeds must be a positive integer: current value is ${seeds}`,
    );
  }
  for (const [model, given] of Object.entries(options.modelOptions ?? {})) {
    checkUserOptions(model, given);
  }
}

/**
 * Resolves the grid of `options` on the data in `store`. With `write`
 * false (a task reading the main store) generated data must be in the
 * store already; see {@link experimentData}.
 *
 * @example
 * ```ts ignore
 * const grid = await experimentGrid(ctx, store, { data: "features", seeds: 2 });
 * console.log(grid.name, grid.runs.map((r) => r.id));
 * ```
 */
export async function experimentGrid(
  ctx: CommandContext,
  store: Store,
  options: ExperimentOptions,
  { write = true }: { write?: boolean } = {},
): Promise<ExperimentGrid> {
  checkExperimentOptions(options);
  const { config } = ctx;
  const configurations = experimentConfigurations(
    options.models ?? listModels(),
    options.anchors,
  );
  const seeds = options.seeds ?? 5;
  const k = options.folds ?? 5;
  let folds = options.folds === undefined ? [0] : [...Array(k).keys()];
  const source = options.data ?? "features";
  const data = await experimentData(ctx, store, source, options, { write });
  const stored = new Set(data.source.infos.map((b) => b.split));
  const fixedSplit = config.split !== undefined ||
    (stored.has("train") && (stored.has("val") || stored.has("test")));
  if (fixedSplit && folds.length > 1) {
    ctx.info(
      `experiment: the slides have a fixed split (${
        config.split ?? "stored with them"
      }), so --folds ${k} runs it once`,
    );
    folds = [0];
  }
  const splitText = fixedSplit
    ? "the data's fixed split (seeds vary the initialisation and order only)"
    : options.folds === undefined
    ? "fold 0 of a 5-fold split per seed"
    : `${k}-fold cross-validation`;
  const training: GridTraining = {
    epochs: options.epochs ?? config.train.epochs,
    lr: config.train.lr,
    weightDecay: config.train.weightDecay,
    clipNorm: config.train.clipNorm,
    modelOptions: options.modelOptions ?? {},
    // Only when set, so names of experiments without it do not change.
    ...(options.anchor && Object.keys(options.anchor).length > 0
      ? { anchor: options.anchor }
      : {}),
    // The configuration's non-default protocol rules, for the same reason.
    ...Object.fromEntries(
      (["clipScope", "selection", "decayWithoutGradient"] as const)
        .filter((key) => config.train[key] !== TRAIN_DEFAULTS[key])
        .map((key) => [key, config.train[key]]),
    ),
    ...(options.anchorVariants &&
        Object.keys(options.anchorVariants).length > 0
      ? { anchorVariants: options.anchorVariants }
      : {}),
  };
  const name = options.name ??
    `${data.id}-${shortHash(training).slice(0, 4)}`;
  const runs: GridRun[] = [];
  for (let s = 0; s < seeds; s++) {
    const seed = config.seed + s;
    for (const fold of folds) {
      for (const configuration of configurations) {
        runs.push({
          index: runs.length,
          id: experimentRunId(name, configuration, seed, fold),
          seed,
          fold,
          configuration,
        });
      }
    }
  }
  return {
    name,
    outDir: options.outDir ?? join(ctx.dir, "experiments", name),
    source,
    data,
    configurations,
    seeds,
    k,
    folds,
    training,
    splitText,
    runs,
  };
}

/**
 * The runs task `task.index` of `task.count` trains: those whose number is
 * the task's modulo the count (round robin).
 *
 * @example
 * ```ts
 * import { taskRuns } from "./experiment_grid.ts";
 * const runs = [0, 1, 2, 3, 4].map((index) => ({ index }));
 * const mine = taskRuns(runs, { index: 1, count: 2 }).map((r) => r.index);
 * if (mine.join() !== "1,3") throw new Error(mine.join());
 * ```
 */
export function taskRuns<T extends { index: number }>(
  runs: readonly T[],
  task: Shard,
): T[] {
  return runs.filter((r) => r.index % task.count === task.index);
}
