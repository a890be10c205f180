/**
 * The `asmil` command line. Results go to stdout, progress and notes to
 * stderr; an error prints one line (no stack trace unless ASMIL_DEBUG=1) and
 * exits non-zero.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import denoJson from "../deno.json" with { type: "json" };
import {
  commandContext,
  DEFAULT_DB,
  type GlobalOptions,
} from "./cli_context.ts";
import { runSql } from "./commands/sql.ts";
import {
  described,
  optionHelp,
  parseInteger,
  parseNumber,
  showDefaults,
} from "./cli_args.ts";
import { STORE_WAIT_ENV } from "../data/store.ts";
import { describeStoreHolder } from "../data/store_holders.ts";
import { CONFIG_DEFAULTS } from "./config.ts";
import { registerModels } from "./commands/models_command.ts";
import { registerDoctor } from "./commands/doctor_command.ts";
import { registerTrain } from "./commands/train_command.ts";
import { registerPipeline } from "./commands/pipeline_command.ts";
import { registerStageCommands } from "./commands/stage_commands.ts";
import { registerSynthFeatures } from "./commands/synth_features_command.ts";
import { registerEvaluate } from "./commands/evaluate_command.ts";
import { registerExperiment } from "./commands/experiment_command.ts";
import { registerMerge } from "./commands/merge_command.ts";

/** Builds the command tree (exported for tests and embedding). */
export function buildCli() {
  const program = new Command()
    .name("asmil")
    .description(
      "Whole-slide images to an attention-MIL slide classifier, with every epoch's attention in DuckDB.",
    )
    .version(denoJson.version)
    // Before any subcommand is added: they copy the help settings.
    .configureHelp({ optionDescription: optionHelp })
    .option(
      "--db <path>",
      "run store (DuckDB file); runs, reports and QC images go beside it",
    )
    .option("--config <file>", "JSON configuration file")
    .option("--seed <n>", "random seed", parseInteger("--seed"))
    .option(
      "--wait <seconds>",
      "when another process holds the store (e.g. a training run), retry opening it for up to this long",
      parseNumber("--wait", { min: 0 }),
    )
    .option("-q, --quiet", "no progress output")
    .showHelpAfterError();
  showDefaults(program, {
    db: DEFAULT_DB,
    config: described("none"),
    seed: CONFIG_DEFAULTS.seed,
    wait: described("0: refuse at once, naming the holder"),
  });
  program.hook("preAction", () => {
    const { wait } = program.opts();
    if (wait !== undefined) Deno.env.set(STORE_WAIT_ENV, String(wait));
  });

  const globals = (): GlobalOptions => {
    const o = program.opts();
    const g: GlobalOptions = {};
    if (o.db !== undefined) g.db = o.db;
    if (o.config !== undefined) g.config = o.config;
    if (o.seed !== undefined) g.seed = o.seed;
    if (o.quiet !== undefined) g.quiet = o.quiet;
    return g;
  };

  program
    .command("sql")
    .description("run SQL against the run store and print the result")
    .argument("<query>", "SQL statement(s); the last one's rows are printed")
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["table", "csv", "json"] as const)
        .default("table" as const),
    )
    .option(
      "--write",
      "open the store for writing (by default it is read-only, so a query cannot change or damage it)",
    )
    .action(async (query, options) => {
      const ctx = await commandContext(globals());
      await runSql(ctx, query, options.format, options.write ?? false);
    });

  registerTrain(program, globals);

  registerModels(program);

  registerPipeline(program, globals);
  registerStageCommands(program, globals);
  registerMerge(program, globals);
  registerSynthFeatures(program, globals);
  registerEvaluate(program, globals);
  registerExperiment(program, globals);
  registerDoctor(program, globals);
  return program;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  // What a process blocked by this one's store lock is told it runs.
  describeStoreHolder(["asmil", ...args].join(" "));
  try {
    await buildCli().parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`asmil: ${message}`);
    if (Deno.env.get("ASMIL_DEBUG") === "1" && error instanceof Error) {
      console.error(error.stack);
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
