import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "./use_backend.ts";
import { normalTensor } from "../../testing/model_fixtures.ts";

await useBackend("wasm", { quiet: true });

Deno.test("plain wasm matMul gives the same products for every transpose flag", () => {
  const a = normalTensor([7, 5], 1), b = normalTensor([5, 3], 2);
  const want = tf.matMul(a, b).dataSync();
  const cases: [tf.Tensor2D, tf.Tensor2D, boolean, boolean][] = [
    [tf.transpose(a), b, true, false],
    [a, tf.transpose(b), false, true],
    [tf.transpose(a), tf.transpose(b), true, true],
  ];
  for (const [x, y, ta, tb] of cases) {
    const got = tf.matMul(x, y, ta, tb).dataSync();
    for (let i = 0; i < want.length; i++) {
      assert.ok(
        Math.abs(got[i]! - want[i]!) < 1e-5,
        `transposeA=${ta} transposeB=${tb} element ${i}`,
      );
    }
  }
});

Deno.test("plain wasm fused matMul with transposed operands adds bias and relu", () => {
  const a = normalTensor([7, 5], 1), b = normalTensor([5, 3], 2);
  const bias = tf.tensor1d([0.5, -0.5, 0.1]);
  const want = tf.relu(tf.add(tf.matMul(a, b), bias)).dataSync();
  const got = tf.fused.matMul({
    a: tf.transpose(a),
    b: tf.transpose(b),
    transposeA: true,
    transposeB: true,
    bias,
    activation: "relu",
  }).dataSync();
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) < 1e-5);
  }
});

Deno.test("plain wasm matMul frees the transposed copies it makes", () => {
  const a = normalTensor([7, 5], 1), b = normalTensor([3, 5], 2);
  tf.matMul(a, b, false, true).dispose();
  const before = (tf.backend() as unknown as { numDataIds(): number })
    .numDataIds();
  tf.matMul(a, b, false, true).dispose();
  assert.equal(
    (tf.backend() as unknown as { numDataIds(): number }).numDataIds(),
    before,
  );
});

Deno.test("plain wasm fused matMul adds the bias correctly for batched products", () => {
  const bias = tf.tensor1d([0.1, -0.2, 0.3, 0.05]);
  for (
    const [as, bs] of [[[2, 5, 3], [3, 4]], [[5, 3], [2, 3, 4]], [[2, 5, 3], [
      2,
      3,
      4,
    ]]]
  ) {
    const a = tf.randomNormal(as!, 0, 1, "float32", 1);
    const b = tf.randomNormal(bs!, 0, 1, "float32", 2);
    const got = tf.fused.matMul({ a, b, bias, activation: "relu" }).dataSync();
    const want = tf.relu(tf.add(tf.matMul(a, b), bias)).dataSync();
    want.forEach((w, i) =>
      assert.ok(Math.abs(got[i]! - w) < 1e-5, `${as} · ${bs}: element ${i}`)
    );
  }
});

Deno.test("plain wasm matMul rejects batch broadcasting it cannot compute, naming both shapes", () => {
  const a = tf.ones([2, 1, 5, 3]), b = tf.ones([3, 3, 4]);
  assert.throws(
    () => tf.matMul(a, b),
    /equal batch dimensions .*got a \[2,1,5,3\] and b \[3,3,4\]/,
  );
});
