/**
 * The conformance suite every registered MIL model passes: shapes, finite
 * outputs, gradients reaching every trainable variable, determinism under a
 * seed, bags of 1 and 20,000 instances, rejected bad bags, weight files.
 * `conformance_test.ts` runs it over `listModels()`.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random.ts";
import type {
  ForwardOptions,
  MilModel,
  ModelOptions,
} from "../models/mil_model.ts";
import { createModel } from "../models/registry.ts";
import {
  assignWeights,
  decodeWeights,
  encodeWeights,
} from "../models/weights.ts";
import { localName } from "../models/weights_scope.ts";

/** Sizes and options the suite uses for one model. */
export interface ConformanceOptions {
  /** Feature dimension of the small bags; default 16. */
  inputDim?: number;
  /** Classes; default 3. */
  numClasses?: number;
  /** Instances in the small bags; default 9. */
  n?: number;
  /** Instances in the large bag (D 64); default 20,000. */
  largeN?: number;
  /** Extra model options (keep models small so the suite stays fast). */
  modelOptions?: Record<string, unknown>;
  /** Runs before every test, e.g. to select the backend. */
  setup?: () => Promise<unknown>;
}

/**
 * A variable "gets a gradient" when its largest gradient entry is at least
 * this fraction of the largest entry over all variables. A structurally
 * zero gradient (e.g. a bias added to every softmax score) comes out as
 * float32 rounding noise, measured at ≤ 2e-6 of the largest gradient.
 */
const RELATIVE_GRADIENT_FLOOR = 1e-5;

/**
 * Redraws every variable from N(0, 1/fan_in) (fan_in = first dimension;
 * std 0.5 for vectors), so activations stay O(1) through every layer and
 * deliberately tiny initialisations (ASMIL's N(0, 1e-6) query tokens) do
 * not hide whether a variable is wired into the loss.
 */
function rescaleVariables(variables: tf.Variable[], seed: number): void {
  const rng = new Rng(seed);
  for (const v of variables) {
    const std = v.rank >= 2 ? 1 / Math.sqrt(v.shape[0]!) : 0.5;
    const values = Float32Array.from(
      { length: v.size },
      () => rng.normal(0, std),
    );
    tf.tidy(() => v.assign(tf.tensor(values, v.shape, "float32")));
  }
}

function bag(n: number, d: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  const values = new Float32Array(n * d);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor2d(values, [n, d]);
}

function training(seed: number): ForwardOptions {
  return { training: true, rng: new Rng(seed) };
}

function allFinite(t: tf.Tensor): boolean {
  return (t.dataSync() as Float32Array).every(Number.isFinite);
}

/**
 * Defines the suite's `Deno.test`s for model `name`.
 *
 * @example
 * ```ts ignore
 * import "../models/all.ts";
 * defineConformanceTests("abmil", { modelOptions: { innerDim: 32 } });
 * ```
 */
export function defineConformanceTests(
  name: string,
  options: ConformanceOptions = {},
): void {
  const d = options.inputDim ?? 16;
  const c = options.numClasses ?? 3;
  const n = options.n ?? 9;
  const largeN = options.largeN ?? 20_000;
  const make = (seed: number, inputDim = d): MilModel =>
    createModel(name, {
      ...options.modelOptions,
      inputDim,
      numClasses: c,
      seed,
    } as ModelOptions);
  const test = (what: string, fn: () => void | Promise<void>) =>
    Deno.test(`${name} ${what}`, async () => {
      await options.setup?.();
      await fn();
    });

  test("gives logits [C] and finite attention [heads, N]", () => {
    const model = make(1);
    const x = bag(n, d, 2);
    for (const mode of [{ training: false }, training(3)]) {
      const { logits, attention } = model.forward(x, mode);
      assert.deepEqual(logits.shape, [c]);
      assert.equal(attention.shape.length, 2);
      assert.equal(attention.shape[1], n);
      assert.ok((attention.shape[0] ?? 0) >= 1, "at least one head");
      assert.ok(allFinite(logits) && allFinite(attention));
      tf.dispose([logits, attention]);
    }
    x.dispose();
    model.dispose();
  });

  test("gives forward's evaluation attention from attentionScores(), where it has one", () => {
    const model = make(4);
    if (model.attentionScores === undefined) return model.dispose();
    for (const size of [n, 1]) {
      const x = bag(size, d, 5);
      const before = tf.memory().numTensors;
      const scores = model.attentionScores(x);
      assert.equal(tf.memory().numTensors, before + 1, "one tensor out");
      const { logits, attention } = model.forward(x, { training: false });
      assert.deepEqual(scores.shape, attention.shape);
      const a = scores.dataSync(), b = attention.dataSync();
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5, `entry ${i}`);
      }
      tf.dispose([scores, logits, attention, x]);
    }
    model.dispose();
  });

  test("gives a finite loss with a ce part, and leaks no tensors", () => {
    const model = make(1);
    const x = bag(n, d, 2);
    const before = tf.memory().numTensors;
    const out = model.loss(x, 1, training(4));
    assert.ok(out.parts.ce !== undefined, "loss parts include ce");
    for (const t of [out.total, ...Object.values(out.parts)]) {
      assert.deepEqual(t.shape, []);
      assert.ok(allFinite(t));
    }
    tf.dispose([
      out.total,
      out.logits,
      out.attention,
      ...Object.values(out.parts),
    ]);
    assert.equal(tf.memory().numTensors, before, "tensors left behind");
    x.dispose();
    model.dispose();
  });

  test("sends a non-zero gradient to every trainable variable", () => {
    const model = make(1);
    const x = bag(n, d, 2);
    const variables = model.trainableVariables();
    assert.ok(variables.length > 0, "the model has trainable variables");
    rescaleVariables(variables, 13);
    const { value, grads } = tf.variableGrads(
      () => model.loss(x, 2, training(5)).total,
      variables,
    );
    const largest = new Map(variables.map((v) => {
      const g = grads[v.name];
      const finite = g !== undefined && allFinite(g);
      return [v, finite ? tf.max(tf.abs(g)).dataSync()[0]! : NaN];
    }));
    const overall = Math.max(...[...largest.values()].filter(Number.isFinite));
    const dead = variables.filter((v) =>
      !(largest.get(v)! >= RELATIVE_GRADIENT_FLOOR * overall)
    ).map(localName);
    assert.deepEqual(
      dead,
      [],
      `variables without a (finite) gradient ≥ ${RELATIVE_GRADIENT_FLOOR} × the largest (${overall})`,
    );
    tf.dispose([value, ...Object.values(grads)]);
    x.dispose();
    model.dispose();
  });

  test("gives the same outputs for the same seed and different ones for another", () => {
    const [a, b, other] = [make(7), make(7), make(8)];
    const x = bag(n, d, 2);
    const run = (m: MilModel, mode: ForwardOptions) => {
      const { logits, attention } = m.loss(x, 0, mode);
      return [...logits.dataSync(), ...attention.dataSync()];
    };
    assert.deepEqual(run(a, { training: false }), run(b, { training: false }));
    assert.deepEqual(run(a, training(9)), run(b, training(9)));
    assert.notDeepEqual(
      run(a, { training: false }),
      run(other, { training: false }),
    );
    for (const m of [a, b, other]) m.dispose();
    x.dispose();
  });

  test("handles a bag of one instance", () => {
    const model = make(1);
    const x = bag(1, d, 2);
    const { logits, attention } = model.forward(x, { training: false });
    assert.deepEqual(logits.shape, [c]);
    assert.equal(attention.shape[1], 1);
    const { value, grads } = tf.variableGrads(
      () => model.loss(x, 0, training(6)).total,
      model.trainableVariables(),
    );
    assert.ok(allFinite(value) && Object.values(grads).every(allFinite));
    tf.dispose([logits, attention, value, ...Object.values(grads)]);
    x.dispose();
    model.dispose();
  });

  test(`trains on a bag of ${largeN} instances`, () => {
    const model = make(1, 64);
    const x = bag(largeN, 64, 2);
    const { value, grads } = tf.variableGrads(
      () => model.loss(x, 1, training(6)).total,
      model.trainableVariables(),
    );
    assert.ok(allFinite(value) && Object.values(grads).every(allFinite));
    const { attention } = model.forward(x, { training: false });
    assert.equal(attention.shape[1], largeN);
    tf.dispose([attention, value, ...Object.values(grads)]);
    x.dispose();
    model.dispose();
  });

  test("rejects bags with NaN, Inf, a wrong D or no instances", () => {
    const model = make(1);
    const values = bag(n, d, 2).dataSync() as Float32Array;
    const poisoned = (v: number) => {
      const copy = values.slice();
      copy[3 * d + 5] = v;
      return tf.tensor2d(copy, [n, d]);
    };
    const eval_ = { training: false };
    assert.throws(
      () => model.forward(poisoned(NaN), eval_),
      /NaN at instance 3, feature 5/,
    );
    assert.throws(
      () => model.forward(poisoned(-Infinity), eval_),
      /-Infinity at instance 3/,
    );
    assert.throws(
      () => model.forward(bag(n, d + 1, 2), eval_),
      new RegExp(`\\[N, ${d}\\] with N ≥ 1: got \\[${n},${d + 1}\\]`),
    );
    assert.throws(
      () => model.forward(tf.zeros([0, d]) as tf.Tensor2D, eval_),
      new RegExp(`got \\[0,${d}\\]`),
    );
    assert.throws(() => model.loss(bag(n, d, 2), c, eval_), /label/);
    model.dispose();
  });

  test("restores its weights from a weight file into another instance", () => {
    const [a, b] = [make(1), make(2)];
    const x = bag(n, d, 2);
    const decoded = decodeWeights(encodeWeights(a));
    assert.equal(decoded.header.model, name);
    assignWeights(b, decoded);
    const outputs = (
      m: MilModel,
    ) => [...m.forward(x, { training: false }).logits.dataSync()];
    assert.deepEqual(outputs(b), outputs(a));
    for (const m of [a, b]) m.dispose();
    x.dispose();
  });
}
