/**
 * Registers `asmil pipeline`.
 *
 * @module
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { commandContext, type GlobalOptions } from "../cli_context.ts";
import { parseInteger } from "../cli_args.ts";

/** Adds `pipeline` to `program`. */
export function registerPipeline(
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
): void {
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
      const { runPipeline } = await import("./pipeline.ts");
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
}
