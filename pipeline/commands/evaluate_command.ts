/**
 * Registers `asmil evaluate` and `asmil report`.
 *
 * @module
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { commandContext, type GlobalOptions } from "../cli_context.ts";
import {
  described,
  parseInteger,
  parseNumber,
  showDefaults,
} from "../cli_args.ts";
import { type Config, CONFIG_DEFAULTS } from "../config.ts";

const EPOCH_HELP =
  "best (the best validation macro-F1 + AUC), last, or an epoch number (1 = the first)";

/** Adds `evaluate` and `report` to `program`. */
export function registerEvaluate(
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
): void {
  const evaluate = program
    .command("evaluate")
    .description(
      "metrics with confidence intervals and attention-stability analysis of a run",
    )
    .argument("<run>", "run id")
    .option("--epoch <which>", EPOCH_HELP, "best")
    .option(
      "--resamples <n>",
      "bootstrap resamples",
      parseInteger("--resamples", { min: 1 }),
    )
    .option(
      "--threshold <x>",
      "settling threshold on the mean JS divergence",
      parseNumber("--threshold", { min: 0, minExclusive: true }),
    )
    .option(
      "--k <n>",
      "k of the top-k overlap",
      parseInteger("--k", { min: 1 }),
    )
    .action(async (run, o) => {
      const ctx = await commandContext(globals());
      const { evaluateCommand } = await import(
        "./evaluate.ts"
      );
      await evaluateCommand(ctx, run, withConfig(o, ctx.config.evaluate));
    });

  const report = program
    .command("report")
    .description("HTML and Markdown report of one run, or comparing runs")
    .argument("<runs...>", "run ids")
    .option("--epoch <which>", EPOCH_HELP, "best")
    .option(
      "--resamples <n>",
      "bootstrap resamples",
      parseInteger("--resamples", { min: 1 }),
    )
    .option(
      "--threshold <x>",
      "settling threshold on the mean JS divergence",
      parseNumber("--threshold", { min: 0, minExclusive: true }),
    )
    .option(
      "--k <n>",
      "k of the top-k overlap",
      parseInteger("--k", { min: 1 }),
    )
    .option("--out <dir>", "output folder")
    .option(
      "--heatmap-slides <n>",
      "slides per end of the stability ranking to draw",
      parseInteger("--heatmap-slides", { min: 0 }),
    )
    .action(async (runs, o) => {
      const ctx = await commandContext(globals());
      const { reportCommand } = await import(
        "./evaluate.ts"
      );
      await reportCommand(ctx, runs, withConfig(o, ctx.config.evaluate));
    });
  const e = CONFIG_DEFAULTS.evaluate;
  const shared = { resamples: e.resamples, threshold: e.threshold, k: e.k };
  showDefaults(evaluate, shared);
  showDefaults(report, {
    ...shared,
    out: described("<config out, else out>/report-<runs>"),
    heatmapSlides: e.heatmapSlides,
  });
}

/** The flags given, over the configuration's evaluation settings. */
function withConfig<T extends Record<string, unknown>>(
  flags: T,
  config: Config["evaluate"],
) {
  return { ...config, ...defined(flags) };
}

/** Drops undefined values (for exact optional property types). */
function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as { [K in keyof T]: Exclude<T[K], undefined> };
}
