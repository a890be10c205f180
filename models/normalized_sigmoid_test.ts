import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  normalizedSigmoid,
  normalizedSigmoidRatioBound,
} from "./normalized_sigmoid.ts";
import { Rng } from "../core/random.ts";

function rows(rng: Rng, count: number, n: number, spread: number): number[][] {
  return Array.from(
    { length: count },
    () =>
      Array.from({ length: n }, () => rng.normal(rng.uniform(-3, 3), spread)),
  );
}

Deno.test("normalizedSigmoid() rows sum to one over the instances", () => {
  const scores = rows(new Rng(1), 20, 37, 4);
  const sums = tf.tidy(() =>
    normalizedSigmoid(tf.tensor2d(scores), 0.5).sum(-1).arraySync() as number[]
  );
  for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5, `row sum ${s}`);
});

Deno.test("normalizedSigmoid() keeps max/min within the stated bound and below softmax's", () => {
  const rng = new Rng(2);
  for (const tau of [0.07, 0.1, 0.5, 1]) {
    for (const raw of rows(rng, 30, 25, 2)) {
      // Keep |z/τ| ≤ 40 so σ stays within float32's normal range.
      const zMax = Math.max(...raw.map(Math.abs));
      const z = raw.map((v) => v * Math.min(1, (40 * tau) / zMax));
      const p = tf.tidy(() =>
        normalizedSigmoid(tf.tensor1d(z), tau).arraySync() as number[]
      );
      const ratio = Math.max(...p) / Math.min(...p);
      const bound = normalizedSigmoidRatioBound(z, tau);
      const softmaxRatio = Math.exp((Math.max(...z) - Math.min(...z)) / tau);
      // float32 rounding: allow a relative slack of 1e-4.
      assert.ok(
        ratio <= bound * (1 + 1e-4),
        `ratio ${ratio} > bound ${bound} (τ ${tau})`,
      );
      assert.ok(ratio <= softmaxRatio * (1 + 1e-4));
    }
  }
});

Deno.test("normalizedSigmoid() is at most 2:1 when every score is non-negative", () => {
  const z = [0, 0.5, 3, 40, 1000];
  const p = tf.tidy(() =>
    normalizedSigmoid(tf.tensor1d(z), 0.1).arraySync() as number[]
  );
  const ratio = Math.max(...p) / Math.min(...p);
  assert.ok(ratio <= 2 + 1e-5, `ratio ${ratio}`);
  assert.ok(
    ratio > 1.9,
    "the bound is tight when z_min = 0 and z_max is large",
  );
});

Deno.test("normalizedSigmoid() rejects a non-positive temperature", () => {
  assert.throws(
    () => normalizedSigmoid(tf.tensor1d([1, 2]), 0),
    /positive finite temperature: current value is 0/,
  );
});
