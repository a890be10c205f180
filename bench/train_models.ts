/**
 * Seconds per training epoch of every registered model at N ≈ 8000, D 1024.
 *
 * For each model (default options, 2 classes): one warm-up step, then one
 * training step on each of `--bags` random bags through the trainer's own
 * step (StepRunner: AdamW, clip 5, the model's optimisation groups, its
 * `afterStep`), then one evaluation forward pass per bag. The epoch figure
 * is extrapolated, not measured: 200 slides split 60/20/20 cost 120
 * training steps plus 80 evaluation passes (validation and test), at the
 * measured median times. Bags are random normal features, so accuracy is
 * meaningless here; only time is measured.
 *
 * Options: `--quick` (N 1000, D 256, 2 bags), `--n 8000`, `--d 1024`,
 * `--bags 5`, `--models abmil,transmil`, `--anchor` (wrap every model with
 * the ASMIL anchor), `--backend auto|blas|wasm|cpu|tensorflow`,
 * `--threads 2`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../pipeline/random.ts";
import { type BackendChoice, useBackend } from "../models/backend/mod.ts";
import { listModels } from "../models/all.ts";
import { buildModel } from "../models/anchor_factory.ts";
import { StepRunner } from "../stages/train/train_step.ts";

interface Config {
  n: number;
  d: number;
  bags: number;
  models: string[];
  anchor: boolean;
  backend: BackendChoice;
  threads?: number;
}

/** Slides per extrapolated epoch and their split. */
const SLIDES = 200, TRAIN = 120, EVALUATED = 80;

function parse(args: string[]): Config {
  const config: Config = {
    n: 8000,
    d: 1024,
    bags: 5,
    models: listModels(),
    anchor: false,
    backend: "auto",
  };
  const positive = (v: string | undefined, flag: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) {
      throw new Error(`${flag} expects a positive integer: got "${v}"`);
    }
    return x;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => args[++i];
    if (flag === "--quick") Object.assign(config, { n: 1000, d: 256, bags: 2 });
    else if (flag === "--n") config.n = positive(value(), flag);
    else if (flag === "--d") config.d = positive(value(), flag);
    else if (flag === "--bags") config.bags = positive(value(), flag);
    else if (flag === "--threads") config.threads = positive(value(), flag);
    else if (flag === "--anchor") config.anchor = true;
    else if (flag === "--backend") config.backend = value() as BackendChoice;
    else if (flag === "--models") {
      const names = (value() ?? "").split(",").filter(Boolean);
      const unknown = names.filter((m) => !listModels().includes(m));
      if (names.length === 0 || unknown.length > 0) {
        throw new Error(
          `--models expects names among ${listModels().join(", ")}: got "${
            names.join(",")
          }"`,
        );
      }
      config.models = names;
    } else throw new Error(`Unknown option "${flag}" for bench train-models`);
  }
  return config;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function randomBag(n: number, d: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  const values = new Float32Array(n * d);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor2d(values, [n, d]);
}

interface Timing {
  stepMs: number;
  evalMs: number;
  leaked: number;
}

function measure(name: string, bags: tf.Tensor2D[], config: Config): Timing {
  const model = buildModel(name, {
    inputDim: config.d,
    numClasses: 2,
    seed: 1,
    anchor: config.anchor,
  });
  const steps = new StepRunner(model, { weightDecay: 1e-5, clipNorm: 5 });
  const rng = new Rng(3);
  try {
    steps.step(bags[0]!, 1, rng, 1e-4); // warm-up: kernels, buffers
    const before = tf.memory().numTensors;
    const stepMs = bags.map((bag, i) => {
      const start = performance.now();
      steps.step(bag, i % 2, rng, 1e-4);
      return performance.now() - start;
    });
    const evalMs = bags.map((bag) => {
      const start = performance.now();
      const out = model.forward(bag, { training: false });
      const p = tf.tidy(() => tf.softmax(out.logits));
      p.dataSync();
      out.attention.dataSync(); // the trainer reads the attention too
      tf.dispose([out.logits, out.attention, p]);
      return performance.now() - start;
    });
    const leaked = tf.memory().numTensors - before;
    return { stepMs: median(stepMs), evalMs: median(evalMs), leaked };
  } finally {
    steps.dispose();
    model.dispose();
  }
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  const config = parse(args);
  const info = await useBackend(
    config.backend,
    config.threads === undefined ? {} : { threads: config.threads },
  );
  console.log(
    `Training epoch per model${
      config.anchor ? " (with the anchor)" : ""
    } at N ${config.n}, D ${config.d}, 2 classes, default options, on ${info.name} ` +
      `(${info.threads} thread(s)); median of ${config.bags} bags per model after one warm-up step.\n` +
      `s/epoch is extrapolated to ${SLIDES} slides (60/20/20): ${TRAIN} training steps + ${EVALUATED} evaluation passes.`,
  );
  const header = ["model", "ms/step", "ms/eval", "s/epoch (200)"];
  const widths = [14, 10, 10, 14];
  console.log(header.map((h, i) => h.padStart(widths[i]!)).join(" "));
  const bags = Array.from(
    { length: config.bags },
    (_, i) => randomBag(config.n, config.d, 10 + i),
  );
  for (const name of config.models) {
    const t = measure(name, bags, config);
    const epoch = (TRAIN * t.stepMs + EVALUATED * t.evalMs) / 1000;
    const cells = [
      name,
      t.stepMs.toFixed(0),
      t.evalMs.toFixed(0),
      epoch.toFixed(1),
    ];
    console.log(cells.map((c, i) => c.padStart(widths[i]!)).join(" "));
    if (t.leaked !== 0) {
      console.warn(`warning: ${name} left ${t.leaked} tensors behind`);
    }
  }
  tf.dispose(bags);
}
