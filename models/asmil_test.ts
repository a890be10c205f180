import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Asmil, type AsmilOptions } from "./asmil.ts";
import { createModel } from "./registry.ts";
import { localName } from "./weights_scope.ts";
import { Rng } from "../core/random.ts";
import { useBackendFromEnv } from "./backend/mod.ts";
import {
  assertFitsEasyFeatureBags,
  seededBag,
} from "../testing/model_fixtures.ts";

await useBackendFromEnv({ quiet: true });

function logitsOf(model: Asmil, x: tf.Tensor2D, rng?: Rng): number[] {
  return tf.tidy(() =>
    Array.from(
      model.forward(x, rng ? { training: true, rng } : { training: false })
        .logits.dataSync(),
    )
  );
}

/** An Asmil of 4 tokens keeping 1 in training, a bag, and its token queries. */
function keepOneOfFour(options: Partial<AsmilOptions>) {
  const model = new Asmil({
    inputDim: 16,
    numClasses: 2,
    seed: 3,
    nToken: 4,
    nDrop: 3,
    ...options,
  });
  const tokens = model.trainableVariables().find((v) =>
    v.name.endsWith("/tokens")
  );
  assert.ok(tokens);
  return { model, x: seededBag(20, 16, 1), tokens };
}

Deno.test("Asmil is registered as asmil with n_token 4, n_drop 2 by default", () => {
  const model = createModel("asmil", { inputDim: 32, numClasses: 3 });
  assert.equal(model.name, "asmil");
  assert.equal(model.options.nToken, 4);
  assert.equal(model.options.nDrop, 2);
  assert.equal(model.options.innerDim, 32);
  assert.equal(model.options.tokenLossWeight, 0);
  const x = tf.randomNormal([13, 32]) as tf.Tensor2D;
  const out = model.forward(x, { training: false });
  assert.deepEqual(out.logits.shape, [3]);
  assert.deepEqual(out.attention.shape, [4 * 8, 13]);
  tf.dispose([x, out.logits, out.attention]);
  model.dispose();
});

Deno.test("Asmil evaluation is deterministic and uses every token", () => {
  const { model, x, tokens } = keepOneOfFour({});
  const base = logitsOf(model, x);
  assert.deepEqual(logitsOf(model, x), base);
  // Token queries start at N(0, 1e-6); move one at a time and watch the logits.
  const original = tokens.clone();
  for (let t = 0; t < 4; t++) {
    tf.tidy(() => {
      const bump = tf.oneHot([t], 4).reshape([4, 1]).mul(
        tf.randomNormal([1, tokens.shape[1] as number], 0, 3, "float32", t),
      );
      tokens.assign(original.add(bump));
    });
    const moved = logitsOf(model, x);
    assert.ok(
      Math.abs((moved[0] as number) - (base[0] as number)) > 1e-4,
      `token ${t} unused in evaluation`,
    );
    tokens.assign(original);
  }
  tf.dispose([x, original]);
  model.dispose();
});

Deno.test("Asmil drops tokens only in training, reproducibly from the rng", () => {
  const { model, x, tokens } = keepOneOfFour({ dropout: 0 });
  // Make the tokens distinct so that which token is kept matters.
  tokens.assign(tf.randomNormal(tokens.shape, 0, 1, "float32", 9));
  const evalLogits = logitsOf(model, x);
  const seen = new Set<string>();
  for (let seed = 0; seed < 12; seed++) {
    const a = logitsOf(model, x, new Rng(seed));
    assert.deepEqual(
      logitsOf(model, x, new Rng(seed)),
      a,
      "same seed, same pass",
    );
    seen.add(a.map((v) => v.toFixed(6)).join());
  }
  // Keeping 1 of 4 tokens: up to 4 distinct outcomes, none equal to using all four.
  assert.ok(
    seen.size >= 2 && seen.size <= 4,
    `${seen.size} distinct training outputs`,
  );
  assert.ok(!seen.has(evalLogits.map((v) => v.toFixed(6)).join()));
  const noDrop = new Asmil({
    inputDim: 16,
    numClasses: 2,
    seed: 3,
    nDrop: 0,
    dropout: 0,
  });
  const y = logitsOf(noDrop, x, new Rng(1)), z = logitsOf(noDrop, x);
  y.forEach((v, i) => assert.ok(Math.abs(v - (z[i] as number)) < 1e-6));
  tf.dispose(x);
  model.dispose();
  noDrop.dispose();
});

Deno.test("Asmil needs an rng in training and rejects nDrop ≥ nToken", () => {
  const model = new Asmil({ inputDim: 8, numClasses: 2 });
  const x = tf.ones([5, 8]) as tf.Tensor2D;
  assert.throws(
    () => model.forward(x, { training: true }),
    /needs options.rng/,
  );
  assert.throws(
    () => new Asmil({ inputDim: 8, numClasses: 2, nToken: 4, nDrop: 4 }),
    /nDrop must be an integer in \[0, 3\]: current value is 4/,
  );
  x.dispose();
  model.dispose();
});

Deno.test("Asmil loss is ce, plus tokens when per-token classifiers are weighted, and every variable gets a gradient", () => {
  const model = new Asmil({ inputDim: 8, numClasses: 2, tokenLossWeight: 0.5 });
  const x = seededBag(10, 8, 2);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.loss(x, 1, { training: true, rng: new Rng(4) });
    const check = tf.sub(out.total, tf.add(out.parts.ce!, out.parts.tokens!));
    assert.ok(Math.abs(check.dataSync()[0] ?? 1) < 1e-6);
    assert.deepEqual(Object.keys(out.parts).sort(), ["ce", "tokens"]);
    return out.total;
  }, model.trainableVariables());
  assert.ok(Number.isFinite(value.dataSync()[0]));
  for (const v of model.trainableVariables()) {
    assert.ok(grads[v.name], `no gradient for ${v.name}`);
  }
  const plain = new Asmil({ inputDim: 8, numClasses: 2 });
  const out = plain.loss(x, 1, { training: false });
  assert.deepEqual(Object.keys(out.parts), ["ce"]);
  assert.ok(
    plain.trainableVariables().every((v) =>
      !v.name.includes("token_classifiers")
    ),
  );
  tf.dispose([out.total, out.logits, out.attention]);
  plain.dispose();
  tf.dispose([x, value, ...Object.values(grads)]);
  model.dispose();
});

Deno.test("Asmil reaches validation AUC ≥ 0.95 on an easy problem within a few epochs", () => {
  const model = new Asmil({ inputDim: 32, numClasses: 2, seed: 1 });
  assertFitsEasyFeatureBags(model, 1);
  model.dispose();
});

Deno.test("Asmil queryInitStd scales the initial query tokens and CLS query, the rest unchanged", () => {
  const init = (queryInitStd?: number) => {
    const model = new Asmil({
      inputDim: 16,
      numClasses: 2,
      seed: 3,
      ...(queryInitStd === undefined ? {} : { queryInitStd }),
    });
    const byName = new Map(
      model.trainableVariables().map((v) => [
        localName(v),
        Array.from(v.dataSync()),
      ]),
    );
    model.dispose();
    return byName;
  };
  const unit = init(1), quarter = init(0.25), method = init();
  for (const name of ["tokens", "cls"]) {
    // Same seeded draws z: std·z (exact for a power of two).
    assert.deepEqual(quarter.get(name), unit.get(name)!.map((z) => 0.25 * z));
    method.get(name)!.forEach((x, i) => {
      const want = 1e-6 * unit.get(name)![i]!;
      assert.ok(Math.abs(x - want) <= 1e-6 * Math.abs(want), `${x} vs ${want}`);
    });
  }
  for (const [name, values] of unit) {
    if (name !== "tokens" && name !== "cls") {
      assert.deepEqual(quarter.get(name), values, name);
    }
  }
});
