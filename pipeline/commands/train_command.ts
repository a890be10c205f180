/**
 * Registers `asmil train`.
 *
 * @module
 */
import { type CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { commandContext, type GlobalOptions } from "../cli_context.ts";
import {
  described,
  parseInteger,
  parseJsonOption,
  parseNumber,
  showDefaults,
  showDefaultsWhenRun,
} from "../cli_args.ts";
import { CONFIG_DEFAULTS } from "../config.ts";
import { shownEpoch } from "../../stages/evaluate/_format.ts";

/**
 * `--clip-norm`: a positive number, or `none` (no clipping; a string, as
 * commander turns a parsed null into "").
 */
function parseClipNorm(value: string): number | "none" {
  if (value === "none") return value;
  return parseNumber("--clip-norm", { min: 0, minExclusive: true })(value);
}

/** What `asmil train --help` adds after the options. */
const TRAIN_NOTES = `
Anchor presets (--anchor-preset; flags given beside a preset override it):
  faithful  the method as specified and the default: cross-entropy from the
            anchor's normalized-sigmoid target, mean over heads, tokens and
            instances, EMA momentum 0.999 from the first step
  stable    the loss summed over instances and divided by ln N, EMA
            momentum ramped 0.99 → 0.999 over 10 epochs, 5 warm-up epochs
            without the anchor (then a fresh copy of the online weights).
            Measured: spreads attention most and does not lower JS on any
            source; kept to reproduce the ablation
  teacher   stable, with the target the anchor's own softmax attention (tau
            1) instead of its normalized sigmoid. Measured (10 seeds): lowers
            gated ABMIL's JS (x0.26-0.45, beyond noise on 2 of 3 sources)
            but spreads its attention (+58 % effective patches on the
            feature cohort), and costs ASMIL AUC; not a validated
            improvement
  With --anchor-momentum 0.99 --anchor-momentum-start 0.9 --anchor-warmup 2
  beside teacher (a teacher that lags less): gated ABMIL's JS x0.17-0.63 on
  every source with 20-35 % more spread attention; ASMIL loses AUC. The best
  trade-off measured, for attention-MIL baselines, not for ASMIL.
  (4 models x 3 sources, 3-10 seeds: bench/results/anchor.md)
ASMIL's query-token init scale is a model option:
  --model-options '{"queryInitStd":0.02}' (the method: 1e-6)
Parity with the released scripts (README, "Parity with the released code"):
  the paper protocol selects the best epoch by validation micro-F1 (=
  accuracy) + AUC (--selection micro-f1); this project's default is macro-F1
  + AUC for every model. Gradients are clipped (--clip-norm) only for asmil
  and dtfd_*, as there, unless --clip-scope all.`;

/** Adds `train` to `program`. */
export function registerTrain(
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
): void {
  const train = program
    .command("train")
    .description("train a MIL model, recording attention every epoch")
    .addHelpText("after", TRAIN_NOTES)
    .option("--model <name>", "model (see `asmil models`)")
    .option(
      "--anchor",
      "add the ASMIL anchor to the model (asmil has it unless --no-anchor)",
    )
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
      parseNumber("--anchor-momentum", { min: 0, max: 1 }),
    )
    .option(
      "--anchor-tau <t>",
      "normalized-sigmoid temperature",
      parseNumber("--anchor-tau", { min: 0, minExclusive: true }),
    )
    .option(
      "--anchor-weight <w>",
      "anchor loss weight",
      parseNumber("--anchor-weight", { min: 0 }),
    )
    .addOption(
      new Option(
        "--anchor-preset <name>",
        "anchor variants bundled (measured in bench/results/anchor.md; none validated as better than faithful): faithful = the method as specified; stable = loss ÷ ln N, momentum ramp 0.99→0.999 over 10 epochs, 5 warm-up epochs; teacher = stable with the anchor's own softmax attention as the target (lower JS, flatter attention); anchor flags given beside it override it",
      ).choices(["faithful", "stable", "teacher"] as const),
    )
    .addOption(
      new Option(
        "--anchor-reduction <r>",
        "anchor loss over instances: mean (the method, scales as 1/N), sum, normalised (sum ÷ ln N)",
      ).choices(["mean", "sum", "normalised"] as const),
    )
    .addOption(
      new Option(
        "--anchor-form <f>",
        "anchor divergence from target p to online q: ce (the method), kl (KL(p‖q), ce's gradient), reverse-kl (KL(q‖p)), js",
      ).choices(["ce", "kl", "reverse-kl", "js"] as const),
    )
    .addOption(
      new Option(
        "--anchor-target <f>",
        "the anchor's target from its scores: sigmoid (the normalized sigmoid at --anchor-tau, the method) or softmax (at --anchor-tau)",
      ).choices(["sigmoid", "softmax"] as const),
    )
    .option(
      "--anchor-target-temperature <T>",
      "sharpen the anchor's target: p^(1/T), renormalised (T < 1 sharpens)",
      parseNumber("--anchor-target-temperature", {
        min: 0,
        minExclusive: true,
      }),
    )
    .option(
      "--anchor-target-contrast <c>",
      "sharpen the anchor's target relative to uniform: max(u + c(p − u), 0), renormalised (c > 1 sharpens, 0 = uniform)",
      parseNumber("--anchor-target-contrast", { min: 0 }),
    )
    .option(
      "--anchor-momentum-ramp <epochs>",
      "ramp the EMA momentum from --anchor-momentum-start to --anchor-momentum over these epochs (cosine; 0 = none)",
      parseInteger("--anchor-momentum-ramp", { min: 0 }),
    )
    .option(
      "--anchor-momentum-start <m>",
      "EMA momentum at the start of the ramp",
      parseNumber("--anchor-momentum-start", { min: 0, max: 1 }),
    )
    .option(
      "--anchor-warmup <epochs>",
      "epochs without the anchor term; a copy anchor then starts from the online weights",
      parseInteger("--anchor-warmup", { min: 0 }),
    )
    .option(
      "--model-options <json>",
      "model options as JSON, e.g. '{\"nToken\":8}'",
    )
    .option("--epochs <n>", "epochs", parseInteger("--epochs", { min: 1 }))
    .option(
      "--lr <x>",
      "base learning rate",
      parseNumber("--lr", { min: 0, minExclusive: true }),
    )
    .option(
      "--weight-decay <x>",
      "AdamW weight decay",
      parseNumber("--weight-decay", { min: 0 }),
    )
    .option(
      "--decay-without-gradient",
      "AdamW also decays weights that got no gradient in a step, as this project did before (PyTorch skips them, and so does the trainer without this flag)",
    )
    .option(
      "--clip-norm <x>",
      "gradient global-norm clip, or none",
      parseClipNorm,
    )
    .addOption(
      new Option(
        "--clip-scope <scope>",
        "models the clip applies to: reference = those whose released script clips (asmil, dtfd_*), all = every model",
      ).choices(["reference", "all"] as const),
    )
    .addOption(
      new Option(
        "--selection <rule>",
        "best-epoch score on validation: AUC + macro-F1 (macro-f1), AUC + micro-F1 = accuracy (micro-f1, the paper protocol: the released ASMIL script's torchmetrics default), or per model as the released scripts (reference)",
      ).choices(["macro-f1", "micro-f1", "reference"] as const),
    )
    .option("--labels <csv>", "labels CSV (slide_id,label)")
    .option("--split <json>", "split file {train_names, val_names, test_names}")
    .option(
      "--folds <k>",
      "k for the stratified k-fold when no split is given",
      parseInteger("--folds", { min: 3 }),
    )
    .option(
      "--fold <i>",
      "which fold is the test fold",
      parseInteger("--fold", { min: 0 }),
    )
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
    .option(
      "--allow-missing",
      "train without the slides a labels CSV or split file names but the store lacks (warned) instead of refusing",
    )
    .option(
      "--record-heads",
      "also record per-head attention distributions (ASMIL: 32 per slide and epoch; by default only their mean is kept)",
    )
    .addOption(
      new Option("--backend <name>", "tensor backend")
        .choices(
          ["auto", "blas", "wasm", "cpu", "tensorflow", "webgpu"] as const,
        ),
    )
    .option(
      "--threads <n>",
      "BLAS threads",
      parseInteger("--threads", { min: 1 }),
    )
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
          preset: o.anchorPreset,
          reduction: o.anchorReduction,
          form: o.anchorForm,
          target: o.anchorTarget,
          targetTemperature: o.anchorTargetTemperature,
          targetContrast: o.anchorTargetContrast,
          momentumRamp: o.anchorMomentumRamp,
          momentumStart: o.anchorMomentumStart,
          warmupEpochs: o.anchorWarmup,
        }).filter(([, v]) => v !== undefined),
      );
      if (o.anchor === false) t.anchor = false;
      else if (Object.keys(anchorFlags).length > 0) t.anchor = anchorFlags;
      else if (o.anchor === true) t.anchor = true;
      if (o.epochs !== undefined) t.epochs = o.epochs;
      if (o.lr !== undefined) t.lr = o.lr;
      if (o.weightDecay !== undefined) t.weightDecay = o.weightDecay;
      if (o.decayWithoutGradient) t.decayWithoutGradient = true;
      if (o.clipNorm !== undefined) {
        t.clipNorm = o.clipNorm === "none" ? null : o.clipNorm;
      }
      if (o.clipScope !== undefined) t.clipScope = o.clipScope;
      if (o.selection !== undefined) t.selection = o.selection;
      if (o.folds !== undefined) t.folds = o.folds;
      if (o.fold !== undefined) t.fold = o.fold;
      if (o.encoder !== undefined) t.encoder = o.encoder;
      if (o.recordTrainAttention) t.recordTrainAttention = true;
      if (o.recordHeads) t.recordHeads = true;
      if (o.allowMissing) ctx.config.allowMissing = true;
      if (o.labels !== undefined) ctx.config.labels = o.labels;
      if (o.split !== undefined) ctx.config.split = o.split;
      if (o.backend !== undefined) ctx.config.backend = o.backend;
      // Loaded on demand: the tensor engine is not needed by other commands.
      const { runTrain } = await import("./train.ts");
      const summary = await runTrain(ctx, {
        data: o.data,
        ...(o.run !== undefined ? { run: o.run } : {}),
        ...(o.out !== undefined ? { outDir: o.out } : {}),
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
      });
      const best = summary.events.find((e) => e.epoch === summary.bestEpoch);
      console.log(
        `run ${summary.run}: best epoch ${
          shownEpoch(summary.bestEpoch)
        }, val AUC ${best?.val?.auc.toFixed(3) ?? "–"}, val macro-F1 ${
          best?.val?.macroF1.toFixed(3) ?? "–"
        }, test AUC ${best?.test?.auc.toFixed(3) ?? "–"}, test macro-F1 ${
          best?.test?.macroF1.toFixed(3) ?? "–"
        }`,
      );
    });
  const t = CONFIG_DEFAULTS.train;
  showDefaults(train, {
    model: t.model,
    modelOptions: described("the model's, see `asmil models --options`"),
    epochs: t.epochs,
    lr: t.lr,
    weightDecay: t.weightDecay,
    clipNorm: t.clipNorm ?? "none",
    clipScope: t.clipScope,
    selection: t.selection,
    labels: described("the labels stored with the slides"),
    split: described("a seeded stratified k-fold (--folds, --fold)"),
    folds: t.folds,
    fold: t.fold,
    encoder: described("embed.encoder's if stored, else the store's only one"),
    run: described("<model>[+anchor]-s<seed>-f<fold>-<time>"),
    out: described("<store folder>/runs"),
    backend: CONFIG_DEFAULTS.backend,
    threads: described("all cores"),
  });
  // The anchor's defaults live with the anchor, which training loads anyway.
  showDefaultsWhenRun(program, train, async () => {
    const { ANCHOR_DEFAULTS: a } = await import("../../models/anchor.ts");
    return {
      anchorInit: a.init,
      anchorUpdate: a.update,
      anchorMomentum: a.momentum,
      anchorTau: a.tau,
      anchorWeight: a.weight,
      anchorPreset: "faithful",
      anchorReduction: a.reduction,
      anchorForm: a.form,
      anchorTarget: a.target,
      anchorTargetTemperature: a.targetTemperature,
      anchorTargetContrast: a.targetContrast,
      anchorMomentumRamp: a.momentumRamp,
      anchorMomentumStart: a.momentumStart,
      anchorWarmup: a.warmupEpochs,
    };
  });
}
