import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Acmil } from "./acmil.ts";
import { createModel } from "./registry.ts";
import { Rng } from "../core/random.ts";
import { useBackendFromEnv } from "./backend/mod.ts";
import {
  assertEveryVariableGetsAGradient,
  assertFitsEasyFeatureBags,
  seededBag,
} from "../testing/model_fixtures.ts";

await useBackendFromEnv({ quiet: true });

Deno.test("Acmil is registered as acmil with 5 branches and [K, N] attention", () => {
  const model = createModel("acmil", { inputDim: 24, numClasses: 3 });
  assert.equal(model.name, "acmil");
  assert.equal(model.options.nToken, 5);
  const x = tf.randomNormal([17, 24]) as tf.Tensor2D;
  const out = model.forward(x, { training: false });
  assert.deepEqual(out.logits.shape, [3]);
  assert.deepEqual(out.attention.shape, [5, 17]);
  tf.dispose([x, out.logits, out.attention]);
  model.dispose();
});

Deno.test("Acmil loss is ce + branches + diversity, the diversity being the branches' mean pairwise cosine", () => {
  const model = new Acmil({ inputDim: 8, numClasses: 2, nToken: 3, seed: 2 });
  const x = seededBag(30, 8, 3);
  tf.tidy(() => {
    const out = model.loss(x, 0, { training: false });
    assert.deepEqual(Object.keys(out.parts).sort(), [
      "branches",
      "ce",
      "diversity",
    ]);
    const sum = tf.addN(Object.values(out.parts)).dataSync()[0] ?? NaN;
    assert.ok(Math.abs(sum - (out.total.dataSync()[0] ?? NaN)) < 1e-6);
    const a = tf.softmax(out.attention).arraySync() as number[][];
    const cos = (u: number[], v: number[]) => {
      const dot = u.reduce((s, ui, i) => s + ui * (v[i] as number), 0);
      const nu = Math.hypot(...u), nv = Math.hypot(...v);
      return dot / (nu * nv);
    };
    const [a0, a1, a2] = a as [number[], number[], number[]];
    const expected = (cos(a0, a1) + cos(a0, a2) + cos(a1, a2)) / 3;
    assert.ok(
      Math.abs((out.parts.diversity?.dataSync()[0] ?? NaN) - expected) < 1e-5,
    );
  });
  x.dispose();
  model.dispose();
});

Deno.test("Acmil masks top-k instances only in training, reproducibly from the rng", () => {
  const model = new Acmil({ inputDim: 8, numClasses: 2, seed: 2 });
  const x = seededBag(40, 8, 3);
  const run = (rng?: Rng) =>
    tf.tidy(() => {
      const out = model.forward(
        x,
        rng ? { training: true, rng } : { training: false },
      );
      return [
        Array.from(out.logits.dataSync()),
        Array.from(out.attention.dataSync()),
      ];
    });
  const [evalLogits, evalAttention] = run();
  assert.deepEqual(run(), [evalLogits, evalAttention]);
  const [a, attention] = run(new Rng(5));
  assert.deepEqual(run(new Rng(5))[0], a);
  assert.notDeepEqual(run(new Rng(6))[0], a);
  assert.notDeepEqual(a, evalLogits);
  assert.deepEqual(attention, evalAttention, "returned scores are unmasked");
  assert.throws(
    () => model.forward(x, { training: true }),
    /needs options.rng/,
  );
  x.dispose();
  model.dispose();
});

Deno.test("Acmil gives every variable a gradient", () => {
  const model = new Acmil({ inputDim: 8, numClasses: 2, seed: 2 });
  const x = seededBag(25, 8, 3);
  assertEveryVariableGetsAGradient(model, x, 1);
  x.dispose();
  model.dispose();
});

Deno.test("Acmil reaches validation AUC ≥ 0.95 on an easy problem within a few epochs", () => {
  const model = new Acmil({ inputDim: 32, numClasses: 2, seed: 2 });
  assertFitsEasyFeatureBags(model, 2);
  model.dispose();
});
