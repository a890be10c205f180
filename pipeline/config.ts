/**
 * The run configuration: a JSON file (`--config FILE`) validated with zod.
 * Unknown keys and wrong types are errors naming the key; command-line flags
 * override the file, and the file overrides the defaults.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { z } from "zod";
import {
  DEFAULT_SETTLING_THRESHOLD,
  DEFAULT_TOPK,
} from "../stages/evaluate/stability.ts";
import { TRAIN_DEFAULTS } from "../stages/train/train_options.ts";

const positiveInt = z.number().int().positive();

/** Target microns per pixel of the tiles when neither `mpp` nor `magnification` is set. */
export const DEFAULT_TILE_MPP = 0.5;

/** Tiling parameters. */
export const TileConfigSchema = z.strictObject({
  tileSize: positiveInt.default(256),
  mpp: z.number().positive().optional(),
  magnification: z.number().positive().optional(),
  overlap: z.number().int().nonnegative().default(0),
  minTissue: z.number().min(0).max(1).default(0.5),
  reader: z.enum(["auto", "openslide", "sharp"]).default("auto"),
  /**
   * Tissue-mask QC images (`<id>.mask.png`, `<id>.overlay.png`): `true`
   * writes them to `qc/` beside the run store, a string to that folder,
   * `false` not at all.
   */
  qc: z.union([z.boolean(), z.string().min(1)]).default(true),
});

/** Embedding parameters. */
export const EmbedConfigSchema = z.strictObject({
  encoder: z.string().default("mobilenet_v2"),
  batchSize: positiveInt.default(32),
  /** ONNX Runtime intra-op threads. */
  threads: positiveInt.default(2),
  /** Input side of an ONNX encoder given by path (the built-in one knows its own). */
  inputSize: positiveInt.default(224),
  /** Where the encoder runs: webgpu falls back to the cpu, saying why, without an adapter. */
  device: z.enum(["cpu", "webgpu"]).default("cpu"),
});

/** Training parameters (the reference protocol's defaults). */
export const TrainConfigSchema = z.strictObject({
  model: z.string().default("asmil"),
  // A fresh object per parse: zod hands a plain default out by reference.
  modelOptions: z.record(z.string(), z.unknown()).default(() => ({})),
  /**
   * true/false, or anchor options (models/anchor_options.ts): a preset and
   * init, update, momentum, tau, weight and the variants over it.
   */
  anchor: z.union([
    z.boolean(),
    z.strictObject({
      preset: z.enum(["faithful", "stable", "teacher"]).optional(),
      init: z.enum(["copy", "independent"]).optional(),
      update: z.enum(["ema", "frozen"]).optional(),
      momentum: z.number().min(0).max(1).optional(),
      tau: z.number().positive().optional(),
      weight: z.number().nonnegative().optional(),
      reduction: z.enum(["mean", "sum", "normalised"]).optional(),
      form: z.enum(["ce", "kl", "reverse-kl", "js"]).optional(),
      target: z.enum(["sigmoid", "softmax"]).optional(),
      targetTemperature: z.number().positive().optional(),
      targetContrast: z.number().nonnegative().optional(),
      momentumStart: z.number().min(0).max(1).optional(),
      momentumRamp: z.number().int().nonnegative().optional(),
      warmupEpochs: z.number().int().nonnegative().optional(),
    }),
  ]).optional(),
  // The protocol's defaults are the trainer's (TRAIN_DEFAULTS), written once.
  epochs: positiveInt.default(TRAIN_DEFAULTS.epochs),
  lr: z.number().positive().default(TRAIN_DEFAULTS.lr),
  weightDecay: z.number().nonnegative().default(TRAIN_DEFAULTS.weightDecay),
  clipNorm: z.number().positive().nullable().default(TRAIN_DEFAULTS.clipNorm),
  /** Models clipNorm applies to: those whose released script clips, or all. */
  clipScope: z.enum(["reference", "all"]).default(TRAIN_DEFAULTS.clipScope),
  /** Best-epoch rule: AUC + macro-F1, + micro-F1 (= accuracy), or per model as the released scripts. */
  selection: z.enum(["macro-f1", "micro-f1", "reference"]).default(
    TRAIN_DEFAULTS.selection,
  ),
  /** AdamW also decays weights without a gradient (default: skip them, as PyTorch). */
  decayWithoutGradient: z.boolean().default(
    TRAIN_DEFAULTS.decayWithoutGradient,
  ),
  /** Cross-validation folds when no split is given (stratified, seeded). */
  folds: z.number().int().min(3).default(5),
  fold: z.number().int().nonnegative().default(0),
  encoder: z.string().optional(),
  recordTrainAttention: z.boolean().default(
    TRAIN_DEFAULTS.recordTrainAttention,
  ),
  /** Also record per-head attention (ASMIL: ~32× the mean's size). */
  recordHeads: z.boolean().default(TRAIN_DEFAULTS.recordHeads),
});

/** Evaluation and report parameters. */
export const EvaluateConfigSchema = z.strictObject({
  /** Bootstrap resamples of the confidence intervals. */
  resamples: positiveInt.default(1000),
  /** Settling threshold on the mean JS divergence between epochs. */
  threshold: z.number().positive().default(DEFAULT_SETTLING_THRESHOLD),
  /** k of the top-k attention overlap. */
  k: positiveInt.default(DEFAULT_TOPK),
  /** Report heatmaps: slides drawn from each end of the stability ranking. */
  heatmapSlides: z.number().int().nonnegative().default(2),
});

/** The whole configuration file. */
export const ConfigSchema = z.strictObject({
  db: z.string().optional(),
  seed: z.number().int().default(0),
  quiet: z.boolean().default(false),
  backend: z.enum(["auto", "blas", "wasm", "cpu", "tensorflow", "webgpu"])
    .default(
      "auto",
    ),
  slides: z.string().optional(),
  labels: z.string().optional(),
  split: z.string().optional(),
  /** Labels or a split file naming slides the store lacks: warn instead of refusing. */
  allowMissing: z.boolean().default(false),
  out: z.string().optional(),
  tile: TileConfigSchema.default(() => TileConfigSchema.parse({})),
  embed: EmbedConfigSchema.default(() => EmbedConfigSchema.parse({})),
  train: TrainConfigSchema.default(() => TrainConfigSchema.parse({})),
  evaluate: EvaluateConfigSchema.default(() => EvaluateConfigSchema.parse({})),
});

/** A resolved configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/**
 * The folder tissue QC images go to under `tile.qc` for the run store `db`:
 * `qc/` beside it when `true` (none for an in-memory store), the folder
 * given, or undefined when turned off.
 *
 * @example
 * ```ts
 * import { qcFolder } from "./config.ts";
 * if (qcFolder(true, "runs/asmil.duckdb") !== "runs/qc") throw new Error();
 * if (qcFolder(false, "runs/asmil.duckdb") !== undefined) throw new Error();
 * ```
 */
export function qcFolder(qc: boolean | string, db: string): string | undefined {
  if (qc === false) return undefined;
  if (qc !== true) return qc;
  return db === ":memory:" ? undefined : join(dirname(db), "qc");
}

/**
 * Validates a configuration object; throws listing each bad key.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config.ts";
 * const c = parseConfig({ train: { epochs: 3 } }, "inline");
 * if (c.train.epochs !== 3 || c.train.lr !== 1e-4) throw new Error("defaults not merged");
 * ```
 */
export function parseConfig(value: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
      return `unknown key${keys.length > 1 ? "s" : ""} ${
        keys.map((k) => `"${k}"`).join(", ")
      }`;
    }
    return `"${path || "(root)"}": ${issue.message}`;
  });
  throw new Error(`Invalid configuration in ${source}: ${problems.join("; ")}`);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The defaults of every key, frozen: what `--help` shows, so a default is
 * written once, in the schema above.
 */
export const CONFIG_DEFAULTS: Readonly<Config> = deepFreeze(
  parseConfig({}, "defaults"),
);

/** Reads and validates a JSON configuration file. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read configuration file "${path}": ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Configuration file "${path}" is not valid JSON: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  return parseConfig(json, path);
}
