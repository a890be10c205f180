import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { checkModelOptions, type LossParts, MilBase } from "./mil_base.ts";
import type { ForwardOutput, ModelOptions } from "./mil_model.ts";
import type { ModelOptionSpec } from "./registry.ts";
import { applyLinear, type LinearParams, localName } from "./weights_scope.ts";
import { useBackendFromEnv } from "./backend/mod.ts";

await useBackendFromEnv({ quiet: true });

/** Max pooling with a linear classifier, and an L2 penalty as a second part. */
class MaxPool
  extends MilBase<ModelOptions, ForwardOutput & { h: tf.Tensor2D }> {
  #classifier: LinearParams;
  constructor(options: ModelOptions) {
    super("max_pool", { seed: 0, ...options });
    this.#classifier = this.scope.linear(
      "classifier",
      options.inputDim,
      options.numClasses,
    );
  }
  protected override pass(features: tf.Tensor2D) {
    const h = tf.relu(features) as tf.Tensor2D;
    const pooled = tf.max(h, 0, true) as tf.Tensor2D;
    const logits = tf.reshape(applyLinear(pooled, this.#classifier), [-1]);
    return {
      logits: logits as tf.Tensor1D,
      attention: tf.reshape(tf.sum(h, 1), [1, -1]) as tf.Tensor2D,
      h,
    };
  }
  protected override lossOf(
    pass: ForwardOutput & { h: tf.Tensor2D },
    label: number,
  ): LossParts {
    const { parts } = super.lossOf(pass, label);
    const l2 = tf.mean(tf.square(pass.h)) as tf.Scalar;
    return {
      total: tf.add(parts.ce!, l2) as tf.Scalar,
      parts: { ...parts, l2 },
    };
  }
}

Deno.test("MilBase's forward and loss share the pass, keep only their outputs and check the bag and the label", () => {
  const model = new MaxPool({ inputDim: 3, numClasses: 2, seed: 4 });
  const bag = tf.tensor2d([[1, -2, 3], [0.5, 4, -1]]);
  const before = tf.memory().numTensors;
  const out = model.forward(bag, { training: false });
  assert.equal(tf.memory().numTensors, before + 2, "logits and attention only");
  const loss = model.loss(bag, 1, { training: true });
  assert.equal(tf.memory().numTensors, before + 2 + 5, "+ total, ce, l2");
  assert.deepEqual(loss.logits.arraySync(), out.logits.arraySync());
  assert.deepEqual(loss.attention.arraySync(), [[4, 4.5]]);
  const sum = loss.parts.ce!.arraySync() + loss.parts.l2!.arraySync();
  assert.ok(Math.abs(loss.total.arraySync() - sum) < 1e-6);
  assert.deepEqual(model.trainableVariables().map(localName), [
    "classifier.w",
    "classifier.b",
  ]);
  assert.throws(
    () => model.loss(bag, 2, { training: false }),
    /Slide label must be a class index in \[0, 2\): got 2/,
  );
  assert.throws(
    () => model.forward(tf.ones([2, 4]), { training: false }),
    /bag features must be \[N, 3\] with N ≥ 1: got \[2,4\]/,
  );
  const variables = model.trainableVariables();
  model.dispose();
  assert.ok(variables.every((v) => v.isDisposed));
});

Deno.test("checkModelOptions() checks the run's options and each declared range, naming the model, option and value", () => {
  const specs: Record<string, ModelOptionSpec> = {
    k: { about: "", type: "integer", min: 1 },
    p: { about: "", type: "number", min: 0, max: 1, maxExclusive: true },
    w: { about: "", type: "number", min: 0 },
    any: { about: "", type: "number" },
    flag: { about: "", type: "boolean" },
  };
  const good = {
    inputDim: 4,
    numClasses: 2,
    k: 3,
    p: 0,
    w: 2,
    any: -1,
    flag: false,
  };
  checkModelOptions("Demo", good, specs);
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { inputDim: 0 },
      /Demo option inputDim must be an integer ≥ 1: current value is 0/,
    ],
    [
      { numClasses: 1 },
      /Demo option numClasses must be an integer ≥ 2: current value is 1/,
    ],
    [{ k: 2.5 }, /Demo option k must be an integer ≥ 1: current value is 2.5/],
    [{ p: 1 }, /Demo option p must be in \[0, 1\): current value is 1/],
    [{ w: -0.1 }, /Demo option w must be ≥ 0: current value is -0.1/],
    [{ any: "1" }, /Demo option any must be a number: current value is 1/],
    [{ any: NaN }, /Demo option any must be a number: current value is NaN/],
    [
      { flag: "yes" },
      /Demo option flag must be a boolean: current value is yes/,
    ],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => checkModelOptions("Demo", { ...good, ...change }, specs),
      message,
    );
  }
});
