/**
 * Registers `asmil experiment`.
 *
 * @module
 */
import { Option } from "@commander-js/extra-typings";
import { commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";
import { parseJsonOption } from "../cli_args.ts";
import { integerOption, numberOption } from "../numeric_option.ts";
import type { ExperimentOptions, ExperimentSummary } from "./experiment.ts";
import type { AnchorVariants } from "./experiment_plan.ts";
import {
  parseShard,
  resolveShard,
  type Shard,
  shardLabel,
} from "../../core/shard.ts";
import { SHARD_DEFAULT } from "./_shard_option.ts";
import { DEMO } from "./demo.ts";

/** Adds `experiment` to `program`. */
export const registerExperiment: RegisterCommand = (program, globals) => {
  program
    .command("experiment")
    .description(
      "the paper's comparison: every model with and without the anchor over seeds, a results table and report",
    )
    .addOption(
      new Option("--data <source>", "where bags come from")
        .choices(
          ["synthetic", "mnist-bags", "features", "cohort", "store"] as const,
        )
        .default("features" as const),
    )
    .option("--models <list>", "comma-separated models (default: all)")
    .addOption(
      integerOption("--seeds <n>", "number of seeds (default 5)", { min: 1 }),
    )
    .addOption(
      integerOption(
        "--folds <k>",
        "run every fold of a k-fold split (default: fold 0 of 5 per seed)",
        { min: 3 },
      ),
    )
    .addOption(integerOption("--epochs <n>", "epochs per run", { min: 1 }))
    .addOption(
      numberOption("--lr <x>", "base learning rate", {
        min: 0,
        minExclusive: true,
      }),
    )
    .option("--out <dir>", "output folder")
    .option(
      "--name <name>",
      "experiment name (default: from data and settings)",
    )
    .addOption(
      integerOption(
        "--bags <n>",
        "generated data: number of bags (mnist-bags 200, features 24)",
        { min: 1 },
      ),
    )
    .addOption(
      integerOption(
        "--instances <n>",
        "features: mean instances per bag (default 8000)",
        { min: 1 },
      ),
    )
    .addOption(
      integerOption("--dim <d>", "features: dimension (default 1024)", {
        min: 1,
      }),
    )
    .addOption(
      numberOption(
        "--witness-fraction <x>",
        "features: witness share of a positive bag (default 0.02)",
      ),
    )
    .addOption(
      numberOption("--bag-size <n>", "mnist-bags: mean bag size (default 10)"),
    )
    .addOption(
      integerOption(
        "--synthetic-slides <n>",
        `synthetic: cohort size (default ${DEMO.cohort.slides}, the pipeline demo's cohort)`,
        {
          min: 1,
        },
      ),
    )
    .option(
      "--model-options <json>",
      'model options per model, e.g. \'{"asmil":{"nToken":4}}\'',
    )
    .addOption(
      numberOption(
        "--anchor-weight <w>",
        "anchor loss weight of every anchored run (default 1)",
        { min: 0 },
      ),
    )
    .addOption(
      numberOption(
        "--anchor-momentum <m>",
        "EMA momentum of the anchor (default 0.999)",
        { min: 0, max: 1 },
      ),
    )
    .addOption(
      numberOption(
        "--anchor-tau <t>",
        "normalized-sigmoid temperature (default 0.5)",
        { min: 0, minExclusive: true },
      ),
    )
    .option(
      "--anchors <list>",
      "anchor variants every model runs with: none, ema (intended), released, a preset (stable) or a name from --anchor-variants (default: none,ema; ASMIL ema,released,none)",
    )
    .option(
      "--anchor-variants <json>",
      'named anchor variants, e.g. \'{"teacher":{"target":"softmax","reduction":"normalised"}}\' (options as `asmil train --anchor-*`; init copy, update ema unless given)',
    )
    .option("--no-report", "skip the HTML/Markdown comparison report")
    .addOption(integerOption("--threads <n>", "BLAS threads", { min: 1 }))
    .option(
      "--plan",
      "job arrays: write the data into the store and list the runs, numbered (with --task: that task's)",
    )
    .option(
      "--task <i/n>",
      `job arrays: train runs i, i+n, i+2n, … into their own store beside --db (x.exp-NAME.task-i-of-n.duckdb), reading the data from --db; none: the whole grid (default: ${SHARD_DEFAULT})`,
    )
    .option(
      "--collect",
      "job arrays: merge the task stores into --db and write the table and report",
    )
    .action(async (o) => {
      const ctx = await commandContext(globals());
      if (o.lr !== undefined) ctx.config.train.lr = o.lr;
      const options: ExperimentOptions = { data: o.data, report: o.report };
      if (o.models !== undefined) {
        options.models = o.models.split(",").map((m) => m.trim()).filter(
          Boolean,
        );
      }
      const copy = {
        seeds: o.seeds,
        folds: o.folds,
        epochs: o.epochs,
        outDir: o.out,
        name: o.name,
        bags: o.bags,
        instances: o.instances,
        dim: o.dim,
        witnessFraction: o.witnessFraction,
        bagSize: o.bagSize,
        syntheticSlides: o.syntheticSlides,
        threads: o.threads,
      };
      for (const [key, value] of Object.entries(copy)) {
        if (value !== undefined) Object.assign(options, { [key]: value });
      }
      const anchor = Object.fromEntries(
        Object.entries({
          weight: o.anchorWeight,
          momentum: o.anchorMomentum,
          tau: o.anchorTau,
        }).filter(([, v]) => v !== undefined),
      );
      if (Object.keys(anchor).length > 0) options.anchor = anchor;
      if (o.anchors !== undefined) {
        options.anchors = o.anchors.split(",").map((a) => a.trim()).filter(
          Boolean,
        );
      }
      if (o.anchorVariants !== undefined) {
        options.anchorVariants = parseJsonOption(
          "--anchor-variants",
          o.anchorVariants,
        ) as AnchorVariants;
      }
      if (o.modelOptions !== undefined) {
        options.modelOptions = parseJsonOption(
          "--model-options",
          o.modelOptions,
        ) as Record<string, Record<string, unknown>>;
      }
      if (o.plan && o.collect) {
        throw new Error(
          "--plan and --collect are steps of their own: give one of them",
        );
      }
      // --plan and --collect run once, outside the array's tasks.
      const task = o.collect || (o.plan && o.task === undefined)
        ? undefined
        : experimentTask(o.task);
      if (o.plan) {
        const { planExperiment, planText } = await import(
          "./experiment_array.ts"
        );
        console.log(planText(await planExperiment(ctx, options, task), task));
      } else if (o.collect) {
        const { collectExperiment } = await import("./experiment_array.ts");
        const summary = await collectExperiment(ctx, options);
        const added = summary.runs.filter((r) => r.status === "trained")
          .length;
        console.log(experimentSummary(
          summary,
          `experiment ${summary.name}: ${summary.runs.length} runs collected (${added} merged now from ${summary.merged.length} task store(s), ${
            summary.runs.length - added
          } in the store before) in ${summary.seconds.toFixed(0)}s`,
        ));
      } else if (task) {
        const { runExperimentTask } = await import("./experiment_array.ts");
        const s = await runExperimentTask(ctx, options, task);
        const trained = s.runs.filter((r) => r.status === "trained").length;
        console.log(
          `experiment ${s.name} task ${
            shardLabel(s.task)
          }: ${s.runs.length} runs (${trained} trained, ${
            s.runs.length - trained
          } finished before) in ${
            s.seconds.toFixed(0)
          }s\nstore     ${s.store}\nthen      asmil experiment … --collect`,
        );
      } else {
        const { runExperiment } = await import("./experiment.ts");
        console.log(experimentSummary(await runExperiment(ctx, options)));
      }
    });
};

/** The task of `--task i/n|none`, or the job array's when absent. */
function experimentTask(option: string | undefined): Shard | undefined {
  if (option === undefined || option === "none") return resolveShard(option);
  return parseShard(option, "--task");
}

/**
 * The lines printed at the end of `asmil experiment`; `heading` replaces
 * the first (what was trained).
 */
export function experimentSummary(
  s: ExperimentSummary,
  heading?: string,
): string {
  const trained = s.runs.filter((r) => r.status === "trained").length;
  return [
    heading ??
      `experiment ${s.name}: ${s.runs.length} runs (${trained} trained, ${
        s.runs.length - trained
      } finished before) in ${s.seconds.toFixed(0)}s`,
    `table     ${s.files.markdown}`,
    `csv       ${s.files.csv}`,
    `curves    ${s.files.curves}`,
    ...(s.files.report ? [`report    ${s.files.report}`] : []),
  ].join("\n");
}
