/**
 * `asmil experiment`: the paper's comparison, reproducible with one command.
 * Every model runs without and with the anchor plug-in (ASMIL: intended EMA
 * anchor, released-code anchor, none; see `experiment_plan.ts`) over
 * several seeds (and folds), each run recorded in the store under a run id
 * that names its configuration. Then every run is evaluated at its
 * best-validation epoch and the results table (Markdown + CSV), the
 * stability figure and the comparison report are written. A rerun resumes:
 * finished runs are skipped, an interrupted run continues from its
 * checkpoint.
 *
 * The grid can also run as a job array (experiment_array.ts): each task
 * trains a slice of the runs into its own store, and a collecting step
 * merges them and writes the same outputs.
 *
 * @module
 */
import { join } from "node:path";
import type { Store } from "../../data/store.ts";
import { type BackendChoice, useBackend } from "../../models/backend/mod.ts";
import type { CommandContext } from "../cli_context.ts";
import { formatDuration } from "../../core/progress.ts";
import {
  type ExperimentDataOptions,
  type ExperimentSource,
  prepareExperimentSource,
} from "./experiment_data.ts";
import {
  checkExperimentOptions,
  type ExperimentGrid,
  experimentGrid,
  type GridRun,
} from "./experiment_grid.ts";
import {
  type ExperimentFiles,
  writeExperimentOutputs,
} from "./experiment_outputs.ts";
import type { ExperimentRow } from "./experiment_table.ts";
import { type AnchorSettings, splitBags, trainRun } from "./experiment_run.ts";
import type { AnchorVariant, AnchorVariants } from "./experiment_plan.ts";

/** Options of {@link runExperiment} beyond the configuration. */
export interface ExperimentOptions extends ExperimentDataOptions {
  /** Where the bags come from (default `features`). */
  data?: ExperimentSource;
  /** Models (default: every registered model). */
  models?: readonly string[];
  /** Number of seeds: config seed, +1, … (default 5). */
  seeds?: number;
  /** k of a k-fold run over every fold; absent: fold 0 of 5 per seed. */
  folds?: number;
  /** Epochs (default the configuration's). */
  epochs?: number;
  /** Model options per model name, e.g. `{asmil: {nToken: 4}}`. */
  modelOptions?: Record<string, Record<string, unknown>>;
  /** Anchor momentum, temperature or loss weight for every anchored run. */
  anchor?: AnchorSettings;
  /**
   * Anchor variants every model runs with (default: baselines `none`,
   * `ema`; ASMIL `ema`, `released`, `none`): `none`, `ema`, `released`, a
   * preset's name or a name in {@link anchorVariants}.
   */
  anchors?: readonly AnchorVariant[];
  /** Variants this experiment defines: name → anchor options (hashed into the name). */
  anchorVariants?: AnchorVariants;
  /** Output folder (default `<db folder>/experiments/<name>`). */
  outDir?: string;
  /** Experiment name (default: data id + hash of the training settings). */
  name?: string;
  /** Write the comparison report (default true). */
  report?: boolean;
  threads?: number;
}

/** Whether a run was trained (or evaluated) now, or had finished before. */
export interface RunOutcome {
  id: string;
  status: "trained" | "skipped";
}

/** What {@link runExperiment} did and wrote. */
export interface ExperimentSummary {
  name: string;
  description: string;
  rows: ExperimentRow[];
  runs: RunOutcome[];
  files: ExperimentFiles;
  seconds: number;
}

/** Runs the experiment (see the module doc). */
export async function runExperiment(
  ctx: CommandContext,
  options: ExperimentOptions = {},
): Promise<ExperimentSummary> {
  const t0 = performance.now();
  checkExperimentOptions(options);
  await useExperimentBackend(ctx, options);
  await prepareExperimentSource(ctx, options.data ?? "features", options);
  const store = await ctx.openStore();
  try {
    const grid = await experimentGrid(ctx, store, options);
    ctx.info(describeGrid(grid));
    const runs = await trainGridRuns(ctx, store, grid, grid.runs, { t0 });
    const { rows, files } = await writeExperimentOutputs(ctx, store, grid, {
      report: options.report ?? true,
    });
    return {
      name: grid.name,
      description: grid.data.description,
      rows,
      runs,
      files,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    store.close();
  }
}

/** Starts the training backend the configuration names. */
export async function useExperimentBackend(
  ctx: CommandContext,
  options: Pick<ExperimentOptions, "threads">,
): Promise<void> {
  await useBackend(ctx.config.backend as BackendChoice, {
    quiet: ctx.quiet,
    ...(options.threads ? { threads: options.threads } : {}),
  });
}

/** The line announcing a grid: name, data and size. */
export function describeGrid(grid: ExperimentGrid): string {
  return `experiment ${grid.name}: ${grid.data.description}; ${grid.configurations.length} configurations × ${grid.seeds} seeds × ${grid.folds.length} folds, ${grid.training.epochs} epochs`;
}

/**
 * Trains `runs` of `grid` into `store`, in order, each on its seed's and
 * fold's split; runs in `finished` (evaluated in another store) and runs
 * `store` has finished are skipped.
 */
export async function trainGridRuns(
  ctx: CommandContext,
  store: Store,
  grid: ExperimentGrid,
  runs: readonly GridRun[],
  { t0 = performance.now(), finished = new Set<string>() }: {
    t0?: number;
    finished?: ReadonlySet<string>;
  } = {},
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  let split:
    | { key: string; bags: Awaited<ReturnType<typeof splitBags>> }
    | undefined;
  for (const run of runs) {
    const { id, seed, fold } = run;
    ctx.info(
      `experiment: run ${run.index + 1}/${grid.runs.length} ${id} (${
        formatDuration((performance.now() - t0) / 1000)
      } so far)`,
    );
    if (finished.has(id)) {
      ctx.info(`experiment: ${id} finished before, skipped`);
      outcomes.push({ id, status: "skipped" });
      continue;
    }
    const key = `${seed}/${fold}`;
    if (split?.key !== key) {
      split = {
        key,
        bags: await splitBags(ctx, grid.data.source, seed, grid.k, fold),
      };
    }
    const trained = await trainRun(ctx, store, run.configuration, split.bags, {
      id,
      seed,
      fold,
      outDir: join(grid.outDir, "runs"),
      ...grid.training,
      anchor: grid.training.anchor ?? {},
      anchorVariants: grid.training.anchorVariants ?? {},
    });
    outcomes.push({ id, status: trained ? "trained" : "skipped" });
  }
  return outcomes;
}
