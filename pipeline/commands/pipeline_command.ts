/**
 * Registers `asmil pipeline` and prints its one-screen summary.
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
import { CONFIG_DEFAULTS } from "../config.ts";
import { runStabilitySql } from "../../data/evaluation_queries.ts";
import type {
  PipelineModel,
  PipelineRun,
  PipelineSummary,
} from "./pipeline.ts";
import {
  fewSlidesNote,
  shownEpoch,
  small,
  withCi,
  withCiOf,
} from "../../stages/evaluate/_format.ts";
import { DEMO, demoCohort } from "./demo.ts";

/** The model trained next to the main one by default, on the same split. */
export const DEFAULT_BASELINE = "gated_abmil";

/** Adds `pipeline` to `program`. */
export function registerPipeline(
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
): void {
  const pipeline = program
    .command("pipeline")
    .description(
      "tile → embed → bag → train → evaluate, end to end (the synthetic cohort when no slides are given); trains the model and a baseline on the same split and compares them",
    )
    .option("--slides <dir|csv>", "slides: a folder or a CSV (slide_id,path)")
    .option("--labels <csv>", "labels CSV (slide_id,label[,split])")
    .option(
      "--synthetic-slides <n>",
      "size of the synthetic cohort",
      parseInteger("--synthetic-slides", { min: 1 }),
    )
    .option("--model <name>", "model to train")
    .option(
      "--baseline <name>",
      "model trained next to it on the same split, for comparison (none: no baseline)",
    )
    .option("--epochs <n>", "epochs", parseInteger("--epochs", { min: 1 }))
    .option(
      "--lr <x>",
      "base learning rate",
      parseNumber("--lr", { min: 0, minExclusive: true }),
    )
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
      const t = ctx.config.train;
      const demo = !globals().config && !ctx.config.slides;
      const notes: string[] = [];
      const main: PipelineModel = {
        model: t.model,
        modelOptions: t.modelOptions,
      };
      if (demo) {
        t.epochs = DEMO.epochs;
        t.lr = DEMO.lr;
        if (main.model === "asmil") {
          main.modelOptions = { ...DEMO.asmilOptions };
        }
      }
      if (o.epochs !== undefined) t.epochs = o.epochs;
      if (o.lr !== undefined) t.lr = o.lr;
      if (demo) {
        notes.push(...demoNotes(t.epochs, t.lr, main));
        ctx.info(
          `pipeline: built-in synthetic cohort, ${t.epochs} epochs, lr ${t.lr} (--epochs, --lr to change)`,
        );
      }
      const baseline = o.baseline ?? DEFAULT_BASELINE;
      const models = baseline === "none" || baseline === main.model
        ? [main]
        : [main, { model: baseline }];
      const { runPipeline } = await import("./pipeline.ts");
      const c = DEMO.cohort;
      const synthetic = !ctx.config.slides;
      if (synthetic) {
        notes.unshift(
          `built-in cohort: ${
            o.syntheticSlides ?? c.slides
          } synthetic slides of ${c.sides[0]}–${
            c.sides.at(-1)
          } px, half with tumour on ${100 * c.tumourFraction[0]}–${
            100 * c.tumourFraction[1]
          } % of the tissue, grade ${c.tumourGrade[0]}–${c.tumourGrade[1]}`,
        );
      }
      const summary = await runPipeline(ctx, {
        models,
        ...(synthetic ? demoCohort(o.syntheticSlides) : {}),
        ...(o.run ? { run: o.run } : {}),
        ...(o.threads ? { threads: o.threads } : {}),
      });
      console.log(pipelineSummary(summary, notes));
    });
  const t = CONFIG_DEFAULTS.train;
  showDefaults(pipeline, {
    slides: described(
      "the built-in synthetic cohort, written to <store folder>/synthetic",
    ),
    labels: described("the synthetic cohort's"),
    syntheticSlides: DEMO.cohort.slides,
    model: described(
      `${t.model}; on the built-in cohort without --config, asmil with innerDim ${DEMO.asmilOptions.innerDim}`,
    ),
    baseline: DEFAULT_BASELINE,
    epochs: described(
      `${t.epochs}; ${DEMO.epochs} on the built-in cohort without --config`,
    ),
    lr: described(
      `${t.lr}; ${DEMO.lr} on the built-in cohort without --config`,
    ),
    run: described(
      "<model>[+anchor]-s<seed>-f<fold>-<time>; the baseline's <run>.<baseline>",
    ),
    threads: described(
      `all cores for training, ${CONFIG_DEFAULTS.embed.threads} for the encoder`,
    ),
  });
}

/**
 * What the summary says about the demo's settings that differ from the
 * protocol's and ASMIL's defaults, and why (measured on this cohort with
 * the wasm backend; README, Quick start).
 */
function demoNotes(epochs: number, lr: number, main: PipelineModel): string[] {
  const p = CONFIG_DEFAULTS.train;
  const notes: string[] = [];
  if (epochs !== p.epochs || lr !== p.lr) {
    notes.push(
      `demo: ${epochs} epochs, lr ${lr} for every model (protocol: ${p.epochs} epochs, lr ${p.lr})`,
    );
  }
  const inner = main.modelOptions?.innerDim;
  if (main.model === "asmil" && inner !== undefined) {
    notes.push(
      `demo: asmil innerDim ${inner}, not its default (half the feature width, 640 here): at its defaults and`,
      `  lr ${p.lr} ASMIL learns this cohort too, but each step takes ≈ 5× as long on the wasm backend;`,
      `  with innerDim ${inner} it needs the higher lr: at ${p.lr} its attention stays uniform (query tokens`,
      `  start at N(0, 1e-6)) and it classifies by the mean of all tiles`,
    );
  }
  return notes;
}

const mean = (xs: readonly number[]) =>
  xs.reduce((s, x) => s + x, 0) / xs.length;

/** Epochs (0-based) shown in the per-epoch attention table: 1, 2, 5, 10, … and the last. */
function shownEpochs(epochs: number): number[] {
  const picked = new Set<number>();
  for (const e of [1, 2, 5]) if (e <= epochs) picked.add(e);
  const step = epochs <= 30 ? 5 : 10;
  for (let e = 10; e <= epochs; e += step) picked.add(e);
  picked.add(epochs);
  return [...picked].sort((a, b) => a - b).map((e) => e - 1);
}

/** Attention of a run's evaluated slides per epoch: mean effective patches, tiles and JS. */
function attentionByEpoch(r: PipelineRun) {
  const byEpoch = new Map<number, { eff: number[]; n: number[] }>();
  for (const s of r.evaluation.slideStability) {
    if (s.run !== r.train.run) continue;
    const e = byEpoch.get(s.epoch) ?? { eff: [], n: [] };
    e.eff.push(s.effectivePatches);
    e.n.push(s.patches);
    byEpoch.set(s.epoch, e);
  }
  const all = r.evaluation.stability.find((s) => s.split === "all") ??
    r.evaluation.stability[0];
  const js = new Map(all?.meanJsByEpoch.map((m) => [m.epoch, m.meanJs]));
  return (epoch: number) => {
    const e = byEpoch.get(epoch);
    return {
      effective: e ? mean(e.eff) : NaN,
      tiles: e ? mean(e.n) : NaN,
      js: js.get(epoch) ?? NaN,
    };
  };
}

/**
 * The one-screen summary printed at the end of the pipeline: the cohort,
 * the split and settings, then every model's test and validation metrics
 * with 95 % bootstrap intervals, attention stability and localisation, and
 * its attention per epoch. `notes` (e.g. demo settings) follow the settings.
 */
export function pipelineSummary(
  summary: PipelineSummary,
  notes: readonly string[] = [],
): string {
  const { settings: st, runs } = summary;
  const w = Math.max(12, ...runs.map((r) => r.model.model.length + 2));
  const pad = (s: string) => s.padEnd(w);
  const first = runs[0]?.train.events[0];
  const counts = first
    ? `${
      summary.slides - summary.failed.length - (first.val?.n ?? 0) -
      (first.test?.n ?? 0)
    } train, ${first.val?.n ?? 0} val, ${first.test?.n ?? 0} test slides`
    : "";
  const lines = [
    `cohort   ${summary.slides} slides (${summary.failed.length} failed), ${summary.cohortTiles} tiles (${
      (summary.cohortTiles / Math.max(1, summary.slides)).toFixed(0)
    } per slide) with ${summary.encoder}; ${summary.tiles} embedded this run`,
    `split    stratified ${st.folds}-fold, fold ${st.fold}, seed ${st.seed}: ${counts}, the same for every model`,
    `settings ${st.epochs} epochs, AdamW lr ${st.lr}, weight decay ${st.weightDecay}; ${
      runs.map((r) =>
        `${r.model.model} ${
          Object.keys(r.model.modelOptions ?? {}).length
            ? JSON.stringify(r.model.modelOptions)
            : "at its defaults"
        }`
      ).join(", ")
    }`,
    ...notes.map((n) => `         ${n}`),
    `${
      pad("model")
    } split  AUC [95% CI]            macro-F1 [95% CI]       accuracy [95% CI]`,
  ];
  for (const r of runs) {
    for (const [i, s] of r.evaluation.splits.entries()) {
      const m = s.ci.metrics;
      lines.push(
        `${pad(i === 0 ? r.model.model : "")} ${s.split.padEnd(6)} ${
          withCiOf(s.ci.auc, m).padEnd(23)
        } ${withCiOf(s.ci.macroF1, m).padEnd(23)} ${
          withCiOf(s.ci.accuracy, m)
        }`,
      );
    }
  }
  // Every model shares the split, so the first model's counts stand for all.
  const few = fewSlidesNote(
    (runs[0]?.evaluation.splits ?? []).map((s) => ({
      split: s.split,
      metrics: s.ci.metrics,
    })),
  );
  if (few) lines.push(few);
  lines.push(
    `${
      pad("model")
    } epoch   mean JS last half  settling   effective patches   localisation AUC`,
  );
  const warnings: string[] = [];
  for (const r of runs) {
    const e = r.evaluation;
    const all = e.stability.find((s) => s.split === "all") ?? e.stability[0];
    const at = attentionByEpoch(r)(e.epoch);
    const loc = e.localisation.find((l) => l.epoch === e.epoch);
    const epochs = r.train.events.at(-1)?.epochs ?? st.epochs;
    lines.push(
      `${pad(r.model.model)} ${`${shownEpoch(e.epoch)}/${epochs}`.padEnd(7)} ${
        small(all?.meanJsLastHalf).padEnd(18)
      } ${
        (all?.settlingEpoch == null
          ? "never"
          : `epoch ${shownEpoch(all.settlingEpoch)}`).padEnd(10)
      } ${
        `${at.effective.toFixed(1)} of ${at.tiles.toFixed(1)} tiles`.padEnd(19)
      } ${loc ? `${loc.auc.toFixed(3)} (${loc.slides} slides)` : "–"}`,
    );
    const test = e.splits.find((s) => s.split === "test")?.ci.auc;
    const uniform = at.effective >= 0.98 * at.tiles;
    const chance = test !== undefined && !(test.value > 0.6);
    if (uniform || chance) {
      warnings.push(
        `${r.model.model} has not learned: ${
          [
            uniform
              ? `its attention is still uniform (effective patches ${
                at.effective.toFixed(1)
              } of ${at.tiles.toFixed(1)} tiles)`
              : "",
            chance ? `test AUC ${withCi(test)} is close to chance` : "",
          ].filter(Boolean).join(" and ")
        }`,
      );
    }
  }
  const epochs = shownEpochs(st.epochs);
  lines.push(
    `attention per epoch, evaluated slides: effective patches / mean JS to the previous epoch`,
    `${pad("epoch")} ${
      epochs.map((e) => String(shownEpoch(e)).padEnd(14)).join("")
    }`.trimEnd(),
  );
  for (const r of runs) {
    const at = attentionByEpoch(r);
    lines.push(
      `${pad(r.model.model)} ${
        epochs.map((e) => {
          const a = at(e);
          return `${a.effective.toFixed(1)}/${
            Number.isFinite(a.js) ? a.js.toExponential(0) : "–"
          }`.padEnd(14);
        }).join("")
      }`.trimEnd(),
    );
  }
  for (const warning of warnings) lines.push(`NOTE     ${warning}`);
  const ids = runs.map((r) => r.train.run);
  lines.push(
    `runs     ${ids.join(", ")}`,
    `time     ${
      summary.seconds.synth > 0
        ? `synthetic cohort ${summary.seconds.synth.toFixed(0)}s, `
        : ""
    }tile+embed ${summary.seconds.tile.toFixed(0)}s, train ${
      runs.map((r) => `${r.model.model} ${r.seconds.toFixed(0)}s`).join(" + ")
    }, report ${summary.seconds.report.toFixed(0)}s, total ${
      summary.seconds.total.toFixed(0)
    }s`,
    `report   ${summary.report}`,
    `query    deno task sql "${runStabilitySql(ids)}"`,
  );
  return lines.join("\n");
}
