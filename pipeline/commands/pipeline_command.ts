/**
 * Registers `asmil pipeline`.
 *
 * @module
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { commandContext, type GlobalOptions } from "../cli_context.ts";
import {
  described,
  parseInteger,
  showDefaults,
  showDefaultsWhenRun,
} from "../cli_args.ts";
import { CONFIG_DEFAULTS } from "../config.ts";
import type { PipelineSummary } from "./pipeline.ts";
import { shownEpoch } from "../../stages/evaluate/_format.ts";

/** Epochs of the built-in demo run (the protocol's default is 50). */
export const DEMO_EPOCHS = 30;

/** Adds `pipeline` to `program`. */
export function registerPipeline(
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
): void {
  const pipeline = program
    .command("pipeline")
    .description(
      "tile → embed → bag → train → evaluate, end to end (the synthetic cohort when no slides are given)",
    )
    .option("--slides <dir|csv>", "slides: a folder or a CSV (slide_id,path)")
    .option("--labels <csv>", "labels CSV (slide_id,label[,split])")
    .option(
      "--synthetic-slides <n>",
      "size of the synthetic cohort",
      parseInteger("--synthetic-slides", { min: 1 }),
    )
    .option("--model <name>", "model to train")
    .option("--epochs <n>", "epochs", parseInteger("--epochs", { min: 1 }))
    .option("--run <id>", "run id (resumes when it has a checkpoint)")
    .option(
      "--threads <n>",
      "threads for BLAS and the encoder",
      parseInteger("--threads", { min: 1 }),
    )
    .action(async (o) => {
      const ctx = await commandContext(globals());
      if (o.slides !== undefined) ctx.config.slides = o.slides;
      if (o.labels !== undefined) ctx.config.labels = o.labels;
      if (o.model !== undefined) ctx.config.train.model = o.model;
      if (o.threads !== undefined) ctx.config.embed.threads = o.threads;
      if (o.epochs !== undefined) ctx.config.train.epochs = o.epochs;
      else if (!globals().config && !ctx.config.slides) {
        // The built-in demo: fewer epochs than the reference protocol's 50,
        // so the whole run stays within a few minutes on 2 cores.
        ctx.config.train.epochs = DEMO_EPOCHS;
        ctx.info(
          `pipeline: built-in synthetic cohort, ${DEMO_EPOCHS} epochs (--epochs to change)`,
        );
      }
      const { runPipeline } = await import("./pipeline.ts");
      const summary = await runPipeline(ctx, {
        ...(o.syntheticSlides ? { syntheticSlides: o.syntheticSlides } : {}),
        ...(o.run ? { run: o.run } : {}),
        ...(o.threads ? { threads: o.threads } : {}),
      });
      console.log(pipelineSummary(summary));
    });
  const t = CONFIG_DEFAULTS.train;
  showDefaults(pipeline, {
    slides: described(
      "the built-in synthetic cohort, written to <store folder>/synthetic",
    ),
    labels: described("the synthetic cohort's"),
    model: t.model,
    epochs: described(
      `${t.epochs}; ${DEMO_EPOCHS} on the built-in cohort without --config`,
    ),
    run: described("<model>[+anchor]-s<seed>-f<fold>-<time>"),
    threads: described(
      `all cores for training, ${CONFIG_DEFAULTS.embed.threads} for the encoder`,
    ),
  });
  showDefaultsWhenRun(program, pipeline, async () => ({
    syntheticSlides: (await import("../../data/synthetic/cohort.ts"))
      .DEFAULT_COHORT_SLIDES,
  }));
}

function interval(i: { value: number; lo: number; hi: number } | undefined) {
  if (!i || Number.isNaN(i.value)) return "–";
  return `${i.value.toFixed(3)} [${i.lo.toFixed(3)}, ${i.hi.toFixed(3)}]`;
}

/** The one-screen summary printed at the end of the pipeline. */
export function pipelineSummary(summary: PipelineSummary): string {
  const t = summary.train;
  const e = summary.evaluation;
  const lines = [
    `slides   ${summary.slides} (${summary.failed.length} failed), ${summary.tiles} tiles embedded this run with ${summary.encoder}`,
    `run      ${t.run} (${t.model}), reported epoch ${shownEpoch(e.epoch)} of ${
      t.events.at(-1)?.epochs ?? "?"
    } (best validation macro-F1 + AUC)`,
    "split    AUC [95% CI]            macro-F1 [95% CI]       accuracy [95% CI]",
  ];
  for (const s of e.splits) {
    lines.push(
      `${s.split.padEnd(8)} ${interval(s.ci.auc).padEnd(23)} ${
        interval(s.ci.macroF1).padEnd(23)
      } ${interval(s.ci.accuracy)}`,
    );
  }
  const all = e.stability.find((s) => s.split === "all") ?? e.stability[0];
  if (all) {
    lines.push(
      `stability mean JS over the last half ${
        all.meanJsLastHalf.toExponential(2)
      }, settling epoch ${
        all.settlingEpoch === null ? "never" : shownEpoch(all.settlingEpoch)
      } (threshold ${all.threshold}), effective patches ${
        all.finalEffectivePatches.toFixed(1)
      }`,
    );
  }
  const loc = e.localisation.find((l) => l.epoch === e.epoch);
  if (loc) {
    lines.push(
      `attention localisation AUC (tumour tiles) ${
        loc.auc.toFixed(3)
      } over ${loc.slides} slides`,
    );
  }
  lines.push(
    `time     tile+embed ${summary.seconds.tile.toFixed(0)}s, train ${
      summary.seconds.train.toFixed(0)
    }s, report ${summary.seconds.report.toFixed(0)}s, total ${
      summary.seconds.total.toFixed(0)
    }s`,
    `report   ${summary.report}`,
    `query    deno task sql "SELECT * FROM run_stability() WHERE run = '${t.run}'"`,
  );
  return lines.join("\n");
}
