/**
 * Gated-ABMIL training step on webgpu vs the CPU backends, with the speed-up ratios.
 *
 * One process, one backend after another (webgpu first, then blas, wasm):
 * the same model (inner 512, attention 128, seed 1) and bag, the trainer's
 * own step (`StepRunner`: forward, backward, global-norm clip, AdamW, the
 * loss read back as the trainer does). Steps are timed back to back and
 * closed by a read of every weight's sum, so queued GPU work is inside the
 * figure. Prints ms/step per backend and each CPU backend's time over
 * webgpu's (the target at N 8000, D 1024: ≥ 10× over blas on a
 * GPU). A backend that cannot start here is listed with why and skipped.
 *
 * Options: `--n 8000`, `--d 1024`, `--steps 5`, `--warmup 2`,
 * `--backends webgpu,blas,wasm`, `--threads N` (CPU backends),
 * `--out FILE` (also write the table as Markdown).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random.ts";
import {
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
  describeAdapter,
  useBackend,
} from "../models/backend/mod.ts";
import { createModel } from "../models/all.ts";
import { StepRunner } from "../stages/train/train_step.ts";

interface Config {
  n: number;
  d: number;
  steps: number;
  warmup: number;
  backends: BackendChoice[];
  threads?: number;
  out?: string;
}

const INNER = 512, ATTENTION = 128, CLASSES = 2;

function parse(args: string[]): Config {
  const config: Config = {
    n: 8000,
    d: 1024,
    steps: 5,
    warmup: 2,
    backends: ["webgpu", "blas", "wasm"],
  };
  const int = (flag: string, v: string | undefined, min: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) {
      throw new Error(`${flag} expects an integer ≥ ${min}: got "${v}"`);
    }
    return x;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = () => args[++i];
    if (flag === "--n") config.n = int(flag, value(), 1);
    else if (flag === "--d") config.d = int(flag, value(), 1);
    else if (flag === "--steps") config.steps = int(flag, value(), 1);
    else if (flag === "--warmup") config.warmup = int(flag, value(), 0);
    else if (flag === "--threads") config.threads = int(flag, value(), 1);
    else if (flag === "--out") {
      const out = value();
      if (!out) throw new Error("--out expects a file path");
      config.out = out;
    } else if (flag === "--backends") {
      const names = (value() ?? "").split(",");
      const bad = names.filter((b) =>
        b === "auto" || !(BACKEND_CHOICES as readonly string[]).includes(b)
      );
      if (bad.length > 0 || names.length === 0) {
        throw new Error(
          `--backends expects a comma-separated list of ${
            BACKEND_CHOICES.filter((b) => b !== "auto").join(", ")
          }: got "${bad.join(",")}"`,
        );
      }
      config.backends = names as BackendChoice[];
    } else throw new Error(`Unknown option "${flag}" for bench gpu-step`);
  }
  return config;
}

function bagValues(n: number, d: number): Float32Array {
  const rng = new Rng(7);
  return Float32Array.from({ length: n * d }, () => rng.normal());
}

/** One row: what ran and its ms/step, or why it did not. */
interface Row {
  backend: BackendChoice;
  info?: BackendInfo;
  msPerStep?: number;
  firstStepMs?: number;
  finalLoss?: number;
  skipped?: string;
}

async function measure(
  backend: BackendChoice,
  config: Config,
  values: Float32Array,
): Promise<Row> {
  let info: BackendInfo;
  try {
    info = await useBackend(backend, {
      quiet: true,
      ...(config.threads === undefined ? {} : { threads: config.threads }),
    });
  } catch (error) {
    return { backend, skipped: (error as Error).message.split("\n")[0]! };
  }
  const model = createModel("gated_abmil", {
    inputDim: config.d,
    numClasses: CLASSES,
    innerDim: INNER,
    attentionDim: ATTENTION,
    seed: 1,
  });
  const runner = new StepRunner(model, { weightDecay: 1e-5, clipNorm: null });
  const bag = tf.tensor2d(values, [config.n, config.d]);
  const rng = new Rng(3);
  const settle = () =>
    tf.tidy(() =>
      tf.addN(model.trainableVariables().map((v) => tf.sum(v))).dataSync()
    );
  try {
    let start = performance.now();
    runner.step(bag, 1, rng, 1e-4);
    settle();
    const firstStepMs = performance.now() - start;
    for (let i = 1; i < config.warmup; i++) runner.step(bag, 1, rng, 1e-4);
    settle();
    start = performance.now();
    let loss = NaN;
    for (let i = 0; i < config.steps; i++) {
      loss = runner.step(bag, 1, rng, 1e-4).total;
    }
    settle();
    const msPerStep = (performance.now() - start) / config.steps;
    return { backend, info, msPerStep, firstStepMs, finalLoss: loss };
  } finally {
    bag.dispose();
    runner.dispose();
    model.dispose();
  }
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  const config = parse(args);
  const values = bagValues(config.n, config.d);
  const rows: Row[] = [];
  for (const backend of config.backends) {
    rows.push(await measure(backend, config, values));
  }
  const gpu = rows.find((r) => r.backend === "webgpu" && r.msPerStep);
  const lines: string[] = [
    `gated-ABMIL train step (StepRunner: AdamW, loss read back) at N ${config.n}, D ${config.d}, inner ${INNER}, attention ${ATTENTION}; ${config.steps} timed steps after ${config.warmup} warm-up`,
  ];
  if (gpu?.info?.adapter) {
    const software = gpu.info.adapter.software;
    lines.push(
      `webgpu adapter: ${describeAdapter(gpu.info.adapter)}${
        software ? " — a software rasteriser: figures are not targets" : ""
      }`,
    );
  }
  lines.push(
    "",
    "| backend | ms/step | first step ms | final loss | ms / webgpu ms |",
    "|---|---:|---:|---:|---:|",
  );
  for (const r of rows) {
    if (r.msPerStep === undefined) {
      lines.push(`| ${r.backend} | not run: ${r.skipped} | | | |`);
      continue;
    }
    const threads = r.info && r.backend !== "webgpu"
      ? ` (${r.info.threads} thread${r.info.threads === 1 ? "" : "s"})`
      : "";
    lines.push(
      `| ${r.backend}${threads} | ${r.msPerStep.toFixed(1)} | ${
        r.firstStepMs!.toFixed(0)
      } | ${r.finalLoss!.toFixed(5)} | ${
        gpu ? (r.msPerStep / gpu.msPerStep!).toFixed(2) : "–"
      } |`,
    );
  }
  const text = lines.join("\n");
  console.log(text);
  if (config.out) await Deno.writeTextFile(config.out, text + "\n");
}

if (import.meta.main) await run(Deno.args);
