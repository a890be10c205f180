/**
 * Registers `asmil evaluate` and `asmil report`.
 *
 * @module
 */
import type { Command, OptionValues } from "@commander-js/extra-typings";
import { commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";
import { described, showDefaults } from "../cli_args.ts";
import { integerOption, numberOption } from "../numeric_option.ts";
import { type Config, CONFIG_DEFAULTS } from "../config.ts";

const EPOCH_HELP =
  "best (the best validation macro-F1 + AUC), last, or an epoch number (1 = the first)";

/** Adds `evaluate` and `report` to `program`. */
export const registerEvaluate: RegisterCommand = (program, globals) => {
  const evaluate = evaluationOptions(
    program
      .command("evaluate")
      .description(
        "metrics with confidence intervals and attention-stability analysis of a run",
      )
      .argument("<run>", "run id"),
  )
    .action(async (run, o) => {
      const ctx = await commandContext(globals());
      const { evaluateCommand } = await import(
        "./evaluate.ts"
      );
      await evaluateCommand(ctx, run, withConfig(o, ctx.config.evaluate));
    });

  const report = evaluationOptions(
    program
      .command("report")
      .description("HTML and Markdown report of one run, or comparing runs")
      .argument("<runs...>", "run ids"),
  )
    .option("--out <dir>", "output folder")
    .addOption(
      integerOption(
        "--heatmap-slides <n>",
        "slides per end of the stability ranking to draw",
        { min: 0 },
      ),
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
};

/** Adds the options `evaluate` and `report` share to `command`. */
function evaluationOptions<
  Args extends unknown[],
  Opts extends OptionValues,
  Globals extends OptionValues,
>(command: Command<Args, Opts, Globals>) {
  return command
    .option("--epoch <which>", EPOCH_HELP, "best")
    .addOption(
      integerOption("--resamples <n>", "bootstrap resamples", { min: 1 }),
    )
    .addOption(
      numberOption(
        "--threshold <x>",
        "settling threshold on the mean JS divergence",
        { min: 0, minExclusive: true },
      ),
    )
    .addOption(integerOption("--k <n>", "k of the top-k overlap", { min: 1 }));
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
