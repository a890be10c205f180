/**
 * An experiment grid as a job array (Slurm, a Kubernetes Indexed Job, or
 * separate shells), in three steps run with the same options:
 *
 * 1. `--plan` writes the data into the main store once (the synthetic
 *    cohort tiled and embedded, generated bags as pseudo-slides, the
 *    feature cohort) and lists the runs, numbered;
 * 2. `--task i/n` trains runs i, i+n, i+2n, … into its own store beside the
 *    main one (`asmil.exp-<name>.task-i-of-n.duckdb`), reading the bags
 *    from the main store read-only, so every task can read it at once;
 *    runs the main store has finished are skipped, and a rerun of a task
 *    resumes its own;
 * 3. `--collect` merges the task stores into the main store
 *    (data/merge_stores.ts: all or none, again adds nothing) and writes
 *    the table, intervals, curves and report as one process would.
 *
 * @module
 */
import { basename, dirname, extname, join } from "node:path";
import {
  copySlidesFrom,
  MergeConflictError,
  mergeStores,
  type ShardMerged,
} from "../../data/merge_stores.ts";
import { openStore, type Store } from "../../data/store.ts";
import { openEncoder } from "../../stages/embed/open_encoder.ts";
import type { CommandContext } from "../cli_context.ts";
import { globFiles } from "../glob_files.ts";
import { type Shard, shardLabel } from "../../core/shard.ts";
import {
  describeGrid,
  type ExperimentOptions,
  type ExperimentSummary,
  trainGridRuns,
  useExperimentBackend,
} from "./experiment.ts";
import { prepareExperimentSource } from "./experiment_data.ts";
import {
  checkExperimentOptions,
  type ExperimentGrid,
  experimentGrid,
  type GridRun,
  taskRuns,
} from "./experiment_grid.ts";
import { writeExperimentOutputs } from "./experiment_outputs.ts";

/**
 * The store task `task` of experiment `name` writes, beside `db`:
 * `runs/asmil.duckdb` → `runs/asmil.exp-NAME.task-1-of-4.duckdb`.
 *
 * @example
 * ```ts
 * import { taskStorePath } from "./experiment_array.ts";
 * const p = taskStorePath("runs/asmil.duckdb", "t", { index: 1, count: 4 });
 * if (p !== "runs/asmil.exp-t.task-1-of-4.duckdb") throw new Error(p);
 * ```
 */
export function taskStorePath(db: string, name: string, task: Shard): string {
  return taskStoreName(db, name, `${task.index}-of-${task.count}`);
}

function requireStoreFile(db: string): void {
  if (db === ":memory:") {
    throw new RangeError(
      "An experiment array needs a store file (--db): its tasks write their own stores beside it, not :memory:",
    );
  }
}

function taskStoreName(db: string, name: string, part: string): string {
  requireStoreFile(db);
  const ext = extname(db);
  return join(
    dirname(db),
    `${basename(db, ext)}.exp-${name}.task-${part}${ext}`,
  );
}

/** What `--plan` found: the grid and which runs the main store has finished. */
export interface ExperimentPlan {
  grid: ExperimentGrid;
  /** The runs listed: all, or one task's. */
  runs: GridRun[];
  finished: Set<string>;
}

/**
 * `asmil experiment --plan`: writes the experiment's data into the main
 * store (see the module doc) and returns its runs (those of `task` alone
 * when given).
 */
export async function planExperiment(
  ctx: CommandContext,
  options: ExperimentOptions,
  task?: Shard,
): Promise<ExperimentPlan> {
  checkExperimentOptions(options);
  await prepareExperimentSource(ctx, options.data ?? "features", options);
  const store = await ctx.openStore();
  try {
    const grid = await experimentGrid(ctx, store, options);
    const runs = task ? taskRuns(grid.runs, task) : grid.runs;
    const finished = await store.evaluatedRuns(runs.map((r) => r.id));
    return { grid, runs, finished };
  } finally {
    store.close();
  }
}

/** The lines `--plan` prints: a heading, then `number  id  state` per run. */
export function planText(plan: ExperimentPlan, task?: Shard): string {
  const { grid } = plan;
  return [
    `${describeGrid(grid)}; ${grid.runs.length} runs${
      task
        ? `, of which task ${shardLabel(task)} trains ${plan.runs.length}`
        : ""
    } (--task i/n trains the runs whose number is i mod n)`,
    ...plan.runs.map((r) =>
      `${r.index}\t${r.id}\t${
        plan.finished.has(r.id) ? "finished" : "to train"
      }`
    ),
  ].join("\n");
}

/** What one task did. */
export interface ExperimentTaskSummary {
  name: string;
  task: Shard;
  /** The task's store. */
  store: string;
  runs: ExperimentSummary["runs"];
  seconds: number;
}

/**
 * `asmil experiment --task i/n`: trains the task's runs (see the module
 * doc) into its own store; the main store is only read.
 */
export async function runExperimentTask(
  ctx: CommandContext,
  options: ExperimentOptions,
  task: Shard,
): Promise<ExperimentTaskSummary> {
  const t0 = performance.now();
  checkExperimentOptions(options);
  requireStoreFile(ctx.db);
  await useExperimentBackend(ctx, options);
  if (options.data === "synthetic") {
    // The cohort was tiled and embedded by --plan; only the encoder's name
    // is needed to read it.
    const encoder = await openEncoder(ctx.config.embed.encoder);
    ctx.config.train.encoder = encoder.name;
    await encoder.close();
  }
  const main = await openMainStore(ctx.db);
  let own: Store | undefined;
  try {
    const grid = await experimentGrid(ctx, main, options, { write: false });
    const mine = taskRuns(grid.runs, task);
    const finished = await main.evaluatedRuns(mine.map((r) => r.id));
    const path = taskStorePath(ctx.db, grid.name, task);
    ctx.info(
      `${describeGrid(grid)}\nexperiment task ${
        shardLabel(task)
      }: ${mine.length} of ${grid.runs.length} runs (${finished.size} finished in ${ctx.db}), writing ${path}`,
    );
    own = await ctx.openStore(path);
    // The evaluation reads the tiles' tumour labels for localisation;
    // embeddings stay in the main store.
    const slides = new Set(grid.data.source.infos.map((b) => b.slideId));
    await copySlidesFrom(own, ctx.db, (id) => slides.has(id), {
      tiledOnly: false,
      reader: "this task",
    });
    const runs = await trainGridRuns(ctx, own, grid, mine, { t0, finished });
    return {
      name: grid.name,
      task,
      store: path,
      runs,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    own?.close();
    main.close();
  }
}

/** The main store, read-only, with a message saying what to do when it is missing. */
async function openMainStore(db: string): Promise<Store> {
  try {
    if (!(await Deno.stat(db)).isFile) throw new Error("not a file");
  } catch {
    throw new Error(
      `An experiment task reads its data from the store ${db}, which does not exist: run 'asmil --db ${db} experiment --plan' with the same options first`,
    );
  }
  return await openStore(db, { readOnly: true });
}

/** What `--collect` did, besides what an experiment returns. */
export interface ExperimentCollectSummary extends ExperimentSummary {
  /** What each task store added to the main store. */
  merged: ShardMerged[];
}

/**
 * `asmil experiment --collect`: merges the experiment's task stores into
 * the main store and writes the outputs (see the module doc). Refuses,
 * naming the runs and their tasks, while any run is unfinished.
 */
export async function collectExperiment(
  ctx: CommandContext,
  options: ExperimentOptions,
): Promise<ExperimentCollectSummary> {
  const t0 = performance.now();
  checkExperimentOptions(options);
  await prepareExperimentSource(ctx, options.data ?? "features", options);
  const store = await ctx.openStore();
  try {
    const grid = await experimentGrid(ctx, store, options);
    const before = await store.evaluatedRuns(grid.runs.map((r) => r.id));
    const pattern = taskStoreName(ctx.db, grid.name, "*-of-*");
    const stores = await globFiles(pattern);
    const merged = await mergeTaskStores(store, stores, grid.name);
    for (const m of merged) {
      ctx.info(
        `experiment: ${m.path}: ${m.runs} runs added (${m.runsPresent} there before)`,
      );
    }
    const finished = await store.evaluatedRuns(grid.runs.map((r) => r.id));
    const missing = grid.runs.filter((r) => !finished.has(r.id));
    if (missing.length > 0) {
      throw new Error(
        unfinishedMessage(grid, missing, stores, pattern, ctx.db),
      );
    }
    const { rows, files } = await writeExperimentOutputs(ctx, store, grid, {
      report: options.report ?? true,
    });
    return {
      name: grid.name,
      description: grid.data.description,
      rows,
      runs: grid.runs.map((r) => ({
        id: r.id,
        status: before.has(r.id) ? "skipped" : "trained",
      })),
      files,
      merged,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    store.close();
  }
}

/** Merges `stores` into `store`; a run in two of them is explained. */
async function mergeTaskStores(
  store: Store,
  stores: readonly string[],
  name: string,
): Promise<ShardMerged[]> {
  if (stores.length === 0) return [];
  try {
    return (await mergeStores(store, stores)).shards;
  } catch (error) {
    if (error instanceof MergeConflictError && /\brun "/.test(error.message)) {
      throw new MergeConflictError(
        error.shard,
        `${
          error.message.replace(/^Cannot merge shard .*?: /, "")
        } (the task stores of experiment ${name} hold one run twice, e.g. from arrays of different sizes: remove the stores of the array you do not want, then --collect again)`,
      );
    }
    throw error;
  }
}

function unfinishedMessage(
  grid: ExperimentGrid,
  missing: readonly GridRun[],
  stores: readonly string[],
  pattern: string,
  db: string,
): string {
  const counts = new Set(
    stores.map((s) => Number(/\.task-\d+-of-(\d+)/.exec(basename(s))?.[1])),
  );
  const count = counts.size === 1 ? [...counts][0]! : undefined;
  const shown = missing.slice(0, 8).map((r) =>
    `${r.index} ${r.id}${
      count && Number.isFinite(count)
        ? ` (task ${r.index % count}/${count})`
        : ""
    }`
  ).join(", ");
  return `Cannot collect experiment ${grid.name}: ${missing.length} of its ${grid.runs.length} runs are not finished in ${db}${
    stores.length === 0
      ? ` and no task store matches ${pattern}`
      : ` after merging ${stores.length} task store(s)`
  }: ${shown}${
    missing.length > 8 ? ", …" : ""
  }. Run (or rerun: it resumes) the tasks that train them with the same options, then --collect again`;
}
