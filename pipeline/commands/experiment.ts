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
 * @module
 */
import { checkUserOptions } from "../../models/registry.ts";
import { join } from "node:path";
import { listModels } from "../../models/all.ts";
import { type BackendChoice, useBackend } from "../../models/backend/mod.ts";
import { writeReport } from "../../stages/evaluate/report.ts";
import type { CommandContext } from "../cli_context.ts";
import { formatDuration } from "../progress.ts";
import {
  experimentData,
  type ExperimentDataOptions,
  type ExperimentSource,
  prepareExperimentSource,
} from "./experiment_data.ts";
import {
  experimentConfigurations,
  experimentRunId,
  shortHash,
} from "./experiment_plan.ts";
import {
  configurationsCsv,
  differencesCsv,
  experimentIntervals,
  intervalsMarkdown,
} from "./experiment_intervals.ts";
import {
  EXPERIMENT_TABLE_SQL,
  type ExperimentRow,
  experimentTable,
  tableCsv,
  tableMarkdown,
} from "./experiment_table.ts";
import { writeExperimentCurves } from "./experiment_curves.ts";
import { type AnchorSettings, splitBags, trainRun } from "./experiment_run.ts";

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
  /** Output folder (default `<db folder>/experiments/<name>`). */
  outDir?: string;
  /** Experiment name (default: data id + hash of the training settings). */
  name?: string;
  /** Write the comparison report (default true). */
  report?: boolean;
  threads?: number;
}

/** What {@link runExperiment} did and wrote. */
export interface ExperimentSummary {
  name: string;
  description: string;
  rows: ExperimentRow[];
  runs: { id: string; status: "trained" | "skipped" }[];
  files: { markdown: string; csv: string; curves: string; report?: string };
  seconds: number;
}

/** Runs the experiment (see the module doc). */
export async function runExperiment(
  ctx: CommandContext,
  options: ExperimentOptions = {},
): Promise<ExperimentSummary> {
  const t0 = performance.now();
  const { config } = ctx;
  const models = options.models ?? listModels();
  const configurations = experimentConfigurations(models);
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
  const epochs = options.epochs ?? config.train.epochs;
  const k = options.folds ?? 5;
  let folds = options.folds === undefined ? [0] : [...Array(k).keys()];
  await useBackend(config.backend as BackendChoice, {
    quiet: ctx.quiet,
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const source = options.data ?? "features";
  await prepareExperimentSource(ctx, source, options);
  const store = await ctx.openStore();
  try {
    const data = await experimentData(
      ctx,
      store,
      source,
      options,
    );
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
    for (const [model, given] of Object.entries(options.modelOptions ?? {})) {
      checkUserOptions(model, given);
    }
    const training = {
      epochs,
      lr: config.train.lr,
      weightDecay: config.train.weightDecay,
      clipNorm: config.train.clipNorm,
      modelOptions: options.modelOptions ?? {},
      // Only when set, so names of experiments without it do not change.
      ...(options.anchor && Object.keys(options.anchor).length > 0
        ? { anchor: options.anchor }
        : {}),
    };
    const name = options.name ??
      `${data.id}-${shortHash(training).slice(0, 4)}`;
    const outDir = options.outDir ??
      join(ctx.dir, "experiments", name);
    await Deno.mkdir(outDir, { recursive: true });
    ctx.info(
      `experiment ${name}: ${data.description}; ${configurations.length} configurations × ${seeds} seeds × ${folds.length} folds, ${epochs} epochs`,
    );
    const runs: ExperimentSummary["runs"] = [];
    const total = seeds * folds.length * configurations.length;
    for (let s = 0; s < seeds; s++) {
      const seed = config.seed + s;
      for (const fold of folds) {
        const bags = await splitBags(ctx, data.source, seed, k, fold);
        for (const c of configurations) {
          const id = experimentRunId(name, c, seed, fold);
          ctx.info(
            `experiment: run ${runs.length + 1}/${total} ${id} (${
              formatDuration((performance.now() - t0) / 1000)
            } so far)`,
          );
          const trained = await trainRun(ctx, store, c, bags, {
            id,
            seed,
            fold,
            outDir: join(outDir, "runs"),
            ...training,
            anchor: options.anchor ?? {},
          });
          runs.push({ id, status: trained ? "trained" : "skipped" });
        }
      }
    }
    const rows = await experimentTable(store, name, configurations);
    const intervals = await experimentIntervals(store, name, configurations, {
      seed: config.seed,
    });
    const markdown = join(outDir, "table.md"), csv = join(outDir, "table.csv");
    await Deno.writeTextFile(
      markdown,
      `# Experiment ${name}\n\n${data.description}\n\n${epochs} epochs, lr ${training.lr}, ${seeds} seed(s) from ${config.seed}, ${splitText}. Test split at the best-validation epoch.\n\n${
        intervalsMarkdown(intervals)
      }\nAll measures, mean ± sample std over runs:\n\n${
        tableMarkdown(rows)
      }\nRebuild with \`deno task sql\` and this query ($name = '${name}'):\n\n\`\`\`sql${EXPERIMENT_TABLE_SQL}\n\`\`\`\n`,
    );
    await Deno.writeTextFile(csv, tableCsv(rows));
    await Deno.writeTextFile(
      join(outDir, "intervals.csv"),
      configurationsCsv(intervals.configurations),
    );
    await Deno.writeTextFile(
      join(outDir, "differences.csv"),
      differencesCsv(intervals.differences),
    );
    const curves = await writeExperimentCurves(store, name, outDir, 0.01);
    const files: ExperimentSummary["files"] = {
      markdown,
      csv,
      curves: curves.png,
    };
    if (options.report ?? true) {
      // One run per configuration (the first seed and fold) keeps the
      // report readable; the table covers every run.
      const shown = configurations.map((c) =>
        experimentRunId(name, c, config.seed, folds[0]!)
      );
      const written = await writeReport({
        store,
        runs: shown,
        outDir: join(outDir, "report"),
        title: `Experiment ${name}`,
        evaluate: { epoch: "best", bootstrap: { resamples: 200 } },
        // Pseudo-slides of generated bags have no image to draw on.
        heatmapSlides: options.data === "mnist-bags" ||
            options.data === "features" || options.data === undefined
          ? 0
          : 1,
      });
      files.report = written.html;
    }
    return {
      name,
      description: data.description,
      rows,
      runs,
      files,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    store.close();
  }
}
