/**
 * Gated-ABMIL training step (forward, backward, Adam) per bag, vs the BLAS floor.
 *
 * For each bag size N and feature dimension D: the median and best time of
 * one training step; the median time of the same step's matrix products run
 * alone on the same backend (the floor no engine can beat); the median
 * ratio step/floor over pairs timed back to back (robust when other
 * processes share the cores); the work in GFLOP; and the process's peak RSS
 * after the warm-up steps (getrusage, taken before the floor's operands
 * are allocated). Wasm memory never shrinks, so the figure is a
 * high-water mark over the configurations run so far; use `--n`/`--d` to
 * measure one configuration alone.
 *
 * Options: `--quick` (small grid), `--n 1000,8000`, `--d 512,1024`,
 * `--steps 5`, `--backend auto|blas|wasm|cpu|tensorflow`, `--threads 2`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random.ts";
import { type BackendChoice, useBackend } from "../models/backend/mod.ts";
import { createModel } from "../models/all.ts";

interface Config {
  ns: number[];
  ds: number[];
  steps: number;
  warmup: number;
  backend: BackendChoice;
  threads?: number;
}

const INNER = 512, ATTENTION = 128, CLASSES = 2;

function parse(args: string[]): Config {
  const config: Config = {
    ns: [1000, 8000, 20000],
    ds: [512, 1024],
    steps: 5,
    warmup: 2,
    backend: "auto",
  };
  const list = (v: string | undefined, flag: string) => {
    const values = (v ?? "").split(",").map(Number);
    if (values.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new Error(
        `${flag} expects comma-separated positive integers: got "${v}"`,
      );
    }
    return values;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => args[++i];
    if (flag === "--quick") {
      Object.assign(config, {
        ns: [500, 2000],
        ds: [256],
        steps: 3,
        warmup: 1,
      });
    } else if (flag === "--n") config.ns = list(value(), flag);
    else if (flag === "--d") config.ds = list(value(), flag);
    else if (flag === "--steps") config.steps = list(value(), flag)[0]!;
    else if (flag === "--threads") config.threads = list(value(), flag)[0]!;
    else if (flag === "--backend") config.backend = value() as BackendChoice;
    else throw new Error(`Unknown option "${flag}" for bench train-step`);
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

/**
 * Peak resident set size of this process in MiB: `ru_maxrss` from
 * `getrusage(2)` through FFI (Deno does not let scripts read
 * /proc/self/status), else the current RSS.
 */
function peakRssMiB(): number {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      getrusage: { parameters: ["i32", "buffer"], result: "i32" },
    });
    // struct rusage: two struct timevals (16 bytes each), then ru_maxrss (KiB).
    const usage = new BigInt64Array(18);
    const ok = libc.symbols.getrusage(0, usage) === 0;
    libc.close();
    if (ok) return Number(usage[4]) / 1024;
  } catch {
    // no libc.so.6: fall through
  }
  return Deno.memoryUsage().rss / 2 ** 20;
}

function randomBag(n: number, d: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  const values = new Float32Array(n * d);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor2d(values, [n, d]);
}

/**
 * The matrix products of one gated-ABMIL step as `[aShape, bShape,
 * transposeA, transposeB]`: forward, then the gradients tfjs computes
 * (with respect to weights and hidden activations, not the input bag).
 */
function stepProducts(
  n: number,
  d: number,
): [number[], number[], boolean, boolean][] {
  const h = INNER, k = ATTENTION, c = CLASSES;
  return [
    [[n, d], [d, h], false, false], // reduce
    [[n, h], [h, k], false, false], // V
    [[n, h], [h, k], false, false], // U
    [[n, k], [k, 1], false, false], // w
    [[1, n], [n, h], false, false], // attention pooling
    [[1, h], [h, c], false, false], // classifier
    [[1, c], [h, c], false, true], // d pooled
    [[1, h], [1, c], true, false], // d classifier
    [[1, h], [n, h], false, true], // d attention
    [[1, n], [1, h], true, false], // d h from pooling
    [[n, 1], [k, 1], false, true], // d hidden from w
    [[n, k], [n, 1], true, false], // d w
    [[n, k], [h, k], false, true], // d h from V
    [[n, h], [n, k], true, false], // d V
    [[n, k], [h, k], false, true], // d h from U
    [[n, h], [n, k], true, false], // d U
    [[n, d], [n, h], true, false], // d reduce
  ];
}

/** The step's products run alone, on operands allocated once. */
function floorRunner(
  n: number,
  d: number,
): { once(): number; dispose(): void } {
  const operands = stepProducts(n, d).map(([as, bs, ta, tb], i) => ({
    a: randomBag(as[0]!, as[1]!, 2 * i),
    b: randomBag(bs[0]!, bs[1]!, 2 * i + 1),
    ta,
    tb,
  }));
  return {
    once() {
      const start = performance.now();
      for (const { a, b, ta, tb } of operands) {
        tf.matMul(a, b, ta, tb).dispose();
      }
      return performance.now() - start;
    },
    dispose: () => operands.forEach(({ a, b }) => tf.dispose([a, b])),
  };
}

interface Measurement {
  step: number[];
  floor: number[];
  /** Peak RSS after the warm-up steps, before the floor's operands exist. */
  rssMiB: number;
}

/**
 * Times training steps and floor runs alternately, so both see the same
 * load from whatever else shares the cores.
 */
function measure(n: number, d: number, config: Config): Measurement {
  const model = createModel("gated_abmil", {
    inputDim: d,
    numClasses: CLASSES,
    innerDim: INNER,
    attentionDim: ATTENTION,
    seed: 1,
  });
  const optimizer = tf.train.adam(1e-4);
  const bag = randomBag(n, d, 7);
  const rng = new Rng(3);
  const step = () => {
    const start = performance.now();
    optimizer.minimize(
      () => model.loss(bag, 1, { training: true, rng }).total,
      false,
      model.trainableVariables(),
    );
    return performance.now() - start;
  };
  for (let i = 0; i < config.warmup; i++) step();
  const rssMiB = peakRssMiB();
  const floor = floorRunner(n, d);
  floor.once();
  const tensors = tf.memory().numTensors;
  const result: Measurement = { step: [], floor: [], rssMiB };
  for (let i = 0; i < config.steps; i++) {
    result.step.push(step());
    result.floor.push(floor.once());
  }
  if (tf.memory().numTensors !== tensors) {
    const leaked = tf.memory().numTensors - tensors;
    console.warn(`warning: ${leaked} tensors leaked in ${config.steps} steps`);
  }
  floor.dispose();
  optimizer.dispose();
  bag.dispose();
  model.dispose();
  return result;
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  const config = parse(args);
  const info = await useBackend(
    config.backend,
    config.threads === undefined ? {} : { threads: config.threads },
  );
  console.log(
    `gated-ABMIL train step (inner ${INNER}, attention ${ATTENTION}, Adam) on ${info.name}, ` +
      `${info.threads} thread(s); ${config.steps} steps, each followed by a floor run, after ${config.warmup} warm-up`,
  );
  const header = [
    "N",
    "D",
    "ms/step",
    "best ms",
    "floor ms",
    "ratio",
    "GFLOP",
    "peak RSS MiB",
  ];
  const widths = header.map((h) => Math.max(6, h.length));
  console.log(header.map((h, i) => h.padStart(widths[i]!)).join(" "));
  for (const d of config.ds) {
    for (const n of config.ns) {
      const { step, floor, rssMiB } = measure(n, d, config);
      const gflop = stepProducts(n, d).reduce((sum, [as, bs, ta, tb]) => {
        const m = ta ? as[1]! : as[0]!, kk = ta ? as[0]! : as[1]!;
        return sum + 2 * m * kk * (tb ? bs[0]! : bs[1]!);
      }, 0) / 1e9;
      const cells = [
        n,
        d,
        median(step).toFixed(1),
        Math.min(...step).toFixed(1),
        median(floor).toFixed(1),
        median(step.map((t, i) => t / floor[i]!)).toFixed(2),
        gflop.toFixed(1),
        rssMiB.toFixed(0),
      ];
      console.log(
        cells.map((c, i) => String(c).padStart(widths[i]!)).join(" "),
      );
    }
  }
}
