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
  type GlobalOptions,
  NotImplementedError,
} from "./cli_context.ts";
import { runSql } from "./commands/sql.ts";

function parseInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) {
      throw new Error(
        `${name} must be an integer: current value is "${value}"`,
      );
    }
    return n;
  };
}

function parseNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) {
      throw new Error(`${name} must be a number: current value is "${value}"`);
    }
    return n;
  };
}

function parseJsonOption(name: string, value: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value);
    if (
      parsed === null || typeof parsed !== "object" || Array.isArray(parsed)
    ) {
      throw new Error("expected a JSON object");
    }
    return parsed;
  } catch (error) {
    throw new Error(
      `${name} must be a JSON object: ${
        (error as Error).message
      } in '${value}'`,
    );
  }
}

/** Builds the command tree (exported for tests and embedding). */
export function buildCli() {
  const program = new Command()
    .name("asmil")
    .description(
      "Whole-slide images to an attention-MIL slide classifier, with every epoch's attention in DuckDB.",
    )
    .version(denoJson.version)
    .option("--db <path>", "run store (DuckDB file)")
    .option("--config <file>", "JSON configuration file")
    .option("--seed <n>", "random seed", parseInteger("--seed"))
    .option("-q, --quiet", "no progress output")
    .showHelpAfterError();

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
    .action(async (query, options) => {
      const ctx = await commandContext(globals());
      await runSql(ctx, query, options.format);
    });

  program
    .command("train")
    .description("train a MIL model, recording attention every epoch")
    .option("--model <name>", "model (see `asmil models`)")
    .option("--anchor", "add the ASMIL anchor to the model")
    .option("--no-anchor", "train without the anchor (also for asmil)")
    .addOption(
      new Option("--anchor-init <init>", "anchor initialisation")
        .choices(["copy", "independent"] as const),
    )
    .addOption(
      new Option("--anchor-update <update>", "anchor update")
        .choices(["ema", "frozen"] as const),
    )
    .option(
      "--anchor-momentum <m>",
      "EMA momentum",
      parseNumber("--anchor-momentum"),
    )
    .option(
      "--anchor-tau <t>",
      "normalized-sigmoid temperature",
      parseNumber("--anchor-tau"),
    )
    .option(
      "--anchor-weight <w>",
      "anchor loss weight",
      parseNumber("--anchor-weight"),
    )
    .option(
      "--model-options <json>",
      "model options as JSON, e.g. '{\"nToken\":8}'",
    )
    .option("--epochs <n>", "epochs", parseInteger("--epochs"))
    .option("--lr <x>", "base learning rate", parseNumber("--lr"))
    .option(
      "--weight-decay <x>",
      "AdamW weight decay",
      parseNumber("--weight-decay"),
    )
    .option("--labels <csv>", "labels CSV (slide_id,label)")
    .option("--split <json>", "split file {train_names, val_names, test_names}")
    .option(
      "--folds <k>",
      "k for the stratified k-fold when no split is given",
      parseInteger("--folds"),
    )
    .option("--fold <i>", "which fold is the test fold", parseInteger("--fold"))
    .option("--encoder <name>", "which embeddings to train on")
    .addOption(
      new Option("--data <source>", "where bags come from")
        .choices(["store", "generated"] as const)
        .default("store" as const),
    )
    .option(
      "--run <id>",
      "run id (an existing run resumes from its checkpoint)",
    )
    .option("--out <dir>", "folder for weights and checkpoints")
    .option(
      "--record-train-attention",
      "also record training slides' attention",
    )
    .addOption(
      new Option("--backend <name>", "tensor backend")
        .choices(["auto", "blas", "wasm", "cpu", "tensorflow"] as const),
    )
    .option("--threads <n>", "BLAS threads", parseInteger("--threads"))
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const t = ctx.config.train;
      if (o.model !== undefined) t.model = o.model;
      if (o.modelOptions !== undefined) {
        t.modelOptions = parseJsonOption("--model-options", o.modelOptions);
      }
      const anchorFlags = Object.fromEntries(
        Object.entries({
          init: o.anchorInit,
          update: o.anchorUpdate,
          momentum: o.anchorMomentum,
          tau: o.anchorTau,
          weight: o.anchorWeight,
        }).filter(([, v]) => v !== undefined),
      );
      if (o.anchor === false) t.anchor = false;
      else if (Object.keys(anchorFlags).length > 0) t.anchor = anchorFlags;
      else if (o.anchor === true) t.anchor = true;
      if (o.epochs !== undefined) t.epochs = o.epochs;
      if (o.lr !== undefined) t.lr = o.lr;
      if (o.weightDecay !== undefined) t.weightDecay = o.weightDecay;
      if (o.folds !== undefined) t.folds = o.folds;
      if (o.fold !== undefined) t.fold = o.fold;
      if (o.encoder !== undefined) t.encoder = o.encoder;
      if (o.recordTrainAttention) t.recordTrainAttention = true;
      if (o.labels !== undefined) ctx.config.labels = o.labels;
      if (o.split !== undefined) ctx.config.split = o.split;
      if (o.backend !== undefined) ctx.config.backend = o.backend;
      // Loaded on demand: the tensor engine is not needed by other commands.
      const { runTrain } = await import("./commands/train.ts");
      const summary = await runTrain(ctx, {
        data: o.data,
        ...(o.run !== undefined ? { run: o.run } : {}),
        ...(o.out !== undefined ? { outDir: o.out } : {}),
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
      });
      const best = summary.events.find((e) => e.epoch === summary.bestEpoch);
      console.log(
        `run ${summary.run}: best epoch ${summary.bestEpoch + 1}, val AUC ${
          best?.val?.auc.toFixed(3) ?? "–"
        }, val macro-F1 ${best?.val?.macroF1.toFixed(3) ?? "–"}, test AUC ${
          best?.test?.auc.toFixed(3) ?? "–"
        }, test macro-F1 ${best?.test?.macroF1.toFixed(3) ?? "–"}`,
      );
    });

  program
    .command("models")
    .description("list the registered MIL models")
    .action(async () => {
      const { listModels, modelEntry } = await import("../models/all.ts");
      for (const name of listModels()) {
        console.log(`${name.padEnd(14)} ${modelEntry(name).description}`);
      }
    });

  program
    .command("pipeline")
    .description(
      "tile → embed → bag → train → evaluate, end to end (the synthetic cohort when no slides are given)",
    )
    .option("--slides <dir|csv>", "slides: a folder or a CSV (slide_id,path)")
    .option("--labels <csv>", "labels CSV (slide_id,label[,split])")
    .option(
      "--synthetic-slides <n>",
      "size of the synthetic cohort",
      parseInteger("--synthetic-slides"),
    )
    .option("--model <name>", "model to train (default asmil)")
    .option("--epochs <n>", "epochs", parseInteger("--epochs"))
    .option("--run <id>", "run id (resumes when it has a checkpoint)")
    .option(
      "--threads <n>",
      "threads for BLAS and the encoder",
      parseInteger("--threads"),
    )
    .action(async (o) => {
      const ctx = await commandContext(globals());
      if (o.slides !== undefined) ctx.config.slides = o.slides;
      if (o.labels !== undefined) ctx.config.labels = o.labels;
      if (o.model !== undefined) ctx.config.train.model = o.model;
      if (o.epochs !== undefined) ctx.config.train.epochs = o.epochs;
      const { runPipeline } = await import("./commands/pipeline.ts");
      const summary = await runPipeline(ctx, {
        ...(o.syntheticSlides ? { syntheticSlides: o.syntheticSlides } : {}),
        ...(o.run ? { run: o.run } : {}),
        ...(o.threads ? { threads: o.threads } : {}),
      });
      const t = summary.train;
      const best = t.events.find((e) => e.epoch === t.bestEpoch);
      console.log(
        [
          `slides ${summary.slides} (${summary.failed.length} failed), ${summary.tiles} tiles embedded with ${summary.encoder}`,
          `run ${t.run}: best epoch ${t.bestEpoch + 1}/${
            t.events.at(-1)?.epochs ?? "?"
          }`,
          `  val  AUC ${best?.val?.auc.toFixed(3) ?? "–"}  macro-F1 ${
            best?.val?.macroF1.toFixed(3) ?? "–"
          }`,
          `  test AUC ${best?.test?.auc.toFixed(3) ?? "–"}  macro-F1 ${
            best?.test?.macroF1.toFixed(3) ?? "–"
          }  accuracy ${best?.test?.accuracy.toFixed(3) ?? "–"}`,
          `time: tile+embed ${summary.seconds.tile.toFixed(0)}s, train ${
            summary.seconds.train.toFixed(0)
          }s, total ${summary.seconds.total.toFixed(0)}s`,
          `query: deno task sql "SELECT epoch, avg(js_divergence) FROM attention_stability WHERE run = '${t.run}' GROUP BY 1 ORDER BY 1"`,
        ].join("\n"),
      );
    });

  const pending: [string, string][] = [
    ["synth", "write the synthetic slide cohort"],
    ["tile", "tile slides into the store"],
    ["embed", "embed tiles with an encoder"],
    ["import-features", "import CLAM/TRIDENT/ACMIL .h5 features"],
    ["export-features", "export embeddings (parquet)"],
    ["evaluate", "metrics and stability analysis for a run"],
    ["report", "HTML/Markdown report for runs"],
    ["experiment", "the paper's comparison over models and seeds"],
  ];
  for (const [name, description] of pending) {
    program.command(name).description(`${description} (not yet available)`)
      .allowUnknownOption().allowExcessArguments()
      .action(() => {
        throw new NotImplementedError(`asmil ${name}`);
      });
  }
  return program;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
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
