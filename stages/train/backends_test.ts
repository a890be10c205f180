/**
 * Training on every backend `auto` can pick: a few optimiser steps of every
 * registered model (with the anchor, EMA momentum 0.9 so it visibly moves)
 * on cpu, wasm, blas and webgpu. Each backend must change every trainable variable,
 * compute with the weights it holds (a model rebuilt from the trained
 * values gives the same loss), move the anchor by the EMA formula, and
 * follow the cpu backend's loss trajectory.
 *
 * The last point is what plain wasm once failed: XNNPACK caches packed
 * weights by data id, so weights updated in place were never seen by the
 * matmuls, and the loss never moved.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { listModels } from "../../models/all.ts";
import { AnchoredModel } from "../../models/anchor.ts";
import { buildModel } from "../../models/anchor_factory.ts";
import {
  type BackendChoice,
  useBackend,
} from "../../models/backend/use_backend.ts";
const readValues = (t: tf.Tensor) => t.dataSync() as Float32Array;
import { featureBags } from "../../data/feature_bags.ts";
import { Rng } from "../../core/random.ts";
import { needs } from "../../testing/system_libs.ts";
import { needsWebGpu } from "../../testing/webgpu.ts";
import { StepRunner } from "./train_step.ts";

const STEPS = 6;
const MOMENTUM = 0.9;
/**
 * Backends differ by float32 rounding (kernel order, tanh through the
 * sigmoid); over six Adam steps at lr 1e-2 the loss trajectories of the
 * same seed stay within this, relative to max(1, |loss|). Measured: ≤ 2e-6.
 */
const LOSS_TOLERANCE = 1e-4;

const BAGS = featureBags({
  count: 4,
  dim: 16,
  minInstances: 12,
  maxInstances: 30,
  shift: 3,
  witnessFraction: 0.3,
  seed: 11,
});

interface Trace {
  losses: number[];
}

function values(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => readValues(v).slice());
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let j = 0; j < a.length; j++) d = Math.max(d, Math.abs(a[j]! - b[j]!));
  return d;
}

function bagTensor(i: number): { x: tf.Tensor2D; label: number } {
  const bag = BAGS[i % BAGS.length]!;
  return {
    x: tf.tensor2d(bag.features, [bag.n, bag.dim]),
    label: bag.label,
  };
}

/** Loss in evaluation mode (deterministic), as a number. */
function evalLoss(model: AnchoredModel, i: number): number {
  const { x, label } = bagTensor(i);
  try {
    return tf.tidy(() =>
      model.loss(x, label, { training: false }).total.dataSync()[0]!
    );
  } finally {
    x.dispose();
  }
}

async function train(backend: BackendChoice, name: string): Promise<Trace> {
  await useBackend(backend, { quiet: true, threads: 1 });
  const options = {
    inputDim: 16,
    numClasses: 2,
    seed: 7,
    anchor: { momentum: MOMENTUM },
  };
  const model = buildModel(name, options);
  assert.ok(model instanceof AnchoredModel);
  const steps = new StepRunner(model, { weightDecay: 0, clipNorm: 5 });
  const online = model.online.trainableVariables();
  const anchor = model.anchor.trainableVariables();
  const rng = new Rng(3);
  const start = values(online);
  const losses: number[] = [];
  try {
    for (let s = 0; s < STEPS; s++) {
      const before = values(anchor);
      const { x, label } = bagTensor(s);
      try {
        losses.push(steps.step(x, label, rng, 1e-2).total);
      } finally {
        x.dispose();
      }
      // θ_a ← m·θ_a + (1−m)·θ_o, with the online weights after the step.
      const now = values(online), after = values(anchor);
      after.forEach((a, k) => {
        const expected = before[k]!.map((b, j) =>
          MOMENTUM * b + (1 - MOMENTUM) * now[k]![j]!
        );
        const off = maxAbsDiff(a, expected);
        assert.ok(
          off <= 1e-6,
          `${backend} ${name} step ${s}: anchor variable ${
            anchor[k]!.name
          } is ${off} away from the EMA formula`,
        );
      });
    }
    const end = values(online);
    online.forEach((v, k) => {
      assert.ok(
        maxAbsDiff(start[k]!, end[k]!) > 0,
        `${backend} ${name}: variable ${v.name} did not change in ${STEPS} steps`,
      );
    });
    // The model must compute with the values it holds: a twin given the
    // same values (fresh storage, via assign) has the same loss.
    const twin = buildModel(name, options) as AnchoredModel;
    try {
      const mine = model.stateVariables(), theirs = twin.stateVariables();
      theirs.forEach((v, k) => {
        const held = readValues(mine[k]!).slice();
        tf.tidy(() => v.assign(tf.tensor(held, v.shape, "float32")));
      });
      for (let i = 0; i < BAGS.length; i++) {
        const a = evalLoss(model, i), b = evalLoss(twin, i);
        assert.ok(
          Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)),
          `${backend} ${name}: the trained model's loss on bag ${i} is ${a}, a model holding the same weights gives ${b}: some kernel computes with stale weights`,
        );
      }
    } finally {
      twin.dispose();
    }
  } finally {
    steps.dispose();
    model.dispose();
  }
  return { losses };
}

const reference = new Map<string, Trace>();

async function cpuTrace(name: string): Promise<Trace> {
  let trace = reference.get(name);
  if (!trace) {
    trace = await train("cpu", name);
    reference.set(name, trace);
  }
  return trace;
}

const backends: { backend: BackendChoice; ignore: boolean }[] = [
  { backend: "cpu", ignore: false },
  { backend: "wasm", ignore: false },
  {
    backend: "blas",
    ignore:
      needs("libopenblas0-pthread", "training on the blas backend").ignore,
  },
  {
    backend: "webgpu",
    ignore: (await needsWebGpu("training on the webgpu backend")).ignore,
  },
];

for (const { backend, ignore } of backends) {
  Deno.test({
    name:
      `training on ${backend} updates every weight, moves the anchor by the EMA formula and follows the cpu loss trajectory`,
    ignore,
    async fn(t) {
      for (const name of listModels()) {
        await t.step(name, async () => {
          const reference = await cpuTrace(name);
          const trace = backend === "cpu"
            ? reference
            : await train(backend, name);
          trace.losses.forEach((loss, s) => {
            const ref = reference.losses[s]!;
            assert.ok(
              Math.abs(loss - ref) <=
                LOSS_TOLERANCE * Math.max(1, Math.abs(ref)),
              `${name} on ${backend}: loss at step ${s} is ${loss}, cpu gives ${ref} (trajectory ${
                trace.losses.map((l) => l.toFixed(6)).join(", ")
              } vs ${reference.losses.map((l) => l.toFixed(6)).join(", ")})`,
            );
          });
          // The losses must move: a model whose weights are never seen by
          // its kernels repeats the same loss on the same bag.
          assert.notEqual(trace.losses[0], trace.losses[BAGS.length]);
        });
      }
    },
  });
}
