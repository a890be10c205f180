/**
 * What the model tests share: seeded bags and tensors, the check that a
 * loss reaches every trainable variable, and the check that a model learns
 * `easyFeatureBags` with the small training loop (the one with the real
 * trainer is easy_training.ts's `assertLearnsEasyBags`). Private to the
 * tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random.ts";
import type { MilModel } from "../models/mil_model.ts";
import { easyFeatureBags, fitOnBags } from "./feature_bags_fit.ts";

/**
 * A bag of `n` instances of `dim` features drawn from N(0, 1) with `seed`
 * (`tf.randomNormal`'s seeded generator, the same bag on every backend).
 *
 * @example
 * ```ts
 * import { seededBag } from "./model_fixtures.ts";
 * const bag = seededBag(5, 3, 1);
 * if (bag.shape.join() !== "5,3") throw new Error("[N, D]");
 * ```
 */
export function seededBag(n: number, dim: number, seed: number): tf.Tensor2D {
  return tf.randomNormal([n, dim], 0, 1, "float32", seed) as tf.Tensor2D;
}

/**
 * A tensor of `shape` filled from N(0, 1) by `new Rng(seed)`, row-major:
 * the same values on every backend, and from the project's generator
 * rather than tfjs's.
 *
 * @example
 * ```ts
 * import { normalTensor } from "./model_fixtures.ts";
 * const a = normalTensor([2, 3], 4), b = normalTensor([6], 4);
 * if (a.dataSync().join() !== b.dataSync().join()) throw new Error("row-major");
 * ```
 */
export function normalTensor(
  shape: [number, number],
  seed: number,
): tf.Tensor2D;
export function normalTensor(shape: number[], seed: number): tf.Tensor;
export function normalTensor(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

/**
 * Asserts that the training loss of `model` on `bag` with `label` (sampling
 * from `new Rng(rngSeed)`) has a gradient for every trainable variable.
 */
export function assertEveryVariableGetsAGradient(
  model: MilModel,
  bag: tf.Tensor2D,
  label: number,
  rngSeed = 1,
): void {
  const { value, grads } = tf.variableGrads(
    () =>
      model.loss(bag, label, { training: true, rng: new Rng(rngSeed) }).total,
    model.trainableVariables(),
  );
  for (const v of model.trainableVariables()) {
    assert.ok(grads[v.name], `no gradient for ${v.name}`);
  }
  tf.dispose([value, ...Object.values(grads)]);
}

/**
 * Fits `model` on `easyFeatureBags()` for 8 epochs with `fitOnBags` (seed
 * `seed`) and asserts validation AUC ≥ 0.95 without leaking tensors.
 */
export function assertFitsEasyFeatureBags(model: MilModel, seed: number): void {
  const bags = easyFeatureBags();
  const before = tf.memory().numTensors;
  const { auc, epochLosses } = fitOnBags(model, bags, { epochs: 8, seed });
  assert.ok(
    auc >= 0.95,
    `val AUC ${auc}, losses ${epochLosses.map((l) => l.toFixed(3))}`,
  );
  assert.equal(tf.memory().numTensors, before, "training leaks no tensors");
}
