import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "./use_backend.ts";
import { normalTensor } from "../../testing/model_fixtures.ts";

await useBackend("wasm", { quiet: true });

Deno.test("Identity on wasm shares data yet outlives its input", () => {
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual([...y.dataSync()], [1, 2, 3]);
  y.dispose();
});

Deno.test("Sum on wasm over leading axes matches a row-wise reference, with keepDims", () => {
  const x = normalTensor([4, 3, 5], 1);
  const v = x.dataSync();
  const want = Array.from({ length: 5 }, (_, j) => {
    let s = 0;
    for (let r = 0; r < 12; r++) s += v[r * 5 + j]!;
    return s;
  });
  for (
    const [axis, keepDims, shape] of [
      [[0, 1], false, [5]],
      [[-3, -2], true, [1, 1, 5]],
    ] as const
  ) {
    const got = tf.sum(x, [...axis], keepDims);
    assert.deepEqual(got.shape, shape);
    got.dataSync().forEach((g, j) => assert.ok(Math.abs(g - want[j]!) < 1e-5));
  }
});

Deno.test("Sum on wasm over other axes still matches tfjs cpu", async () => {
  const x = normalTensor([4, 3, 5], 2);
  const cases: [number | number[] | undefined, boolean][] = [
    [1, false],
    [[0, 2], true],
    [undefined, false],
    [2, false],
  ];
  const wasm = cases.map((
    [axis, keep],
  ) => [...tf.sum(x, axis, keep).dataSync()]);
  await useBackend("cpu", { quiet: true });
  const cpu = cases.map((
    [axis, keep],
  ) => [...tf.sum(tf.tensor(x.dataSync(), x.shape), axis, keep).dataSync()]);
  await useBackend("wasm", { quiet: true });
  wasm.forEach((w, i) =>
    w.forEach((g, j) =>
      assert.ok(Math.abs(g - cpu[i]![j]!) < 1e-5, `case ${i}`)
    )
  );
});

Deno.test("Tanh on wasm matches Math.tanh within 2e-7 and saturates", () => {
  const values = [
    0,
    1e-6,
    -1e-3,
    0.5,
    -2,
    9,
    -30,
    80,
    -1e30,
    Infinity,
    -Infinity,
  ];
  const got = tf.tanh(tf.tensor1d(values)).dataSync();
  values.forEach((v, i) =>
    assert.ok(
      Math.abs(got[i]! - Math.tanh(v)) <= 2e-7,
      `tanh(${v}) = ${got[i]}`,
    )
  );
  assert.ok(Number.isNaN(tf.tanh(tf.tensor1d([NaN])).dataSync()[0]));
});

Deno.test("Tanh on wasm has the gradient 1 − tanh²", () => {
  const x = tf.tensor1d([-1.5, 0, 0.7]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.tanh(t)))(x).dataSync();
  [-1.5, 0, 0.7].forEach((v, i) =>
    assert.ok(Math.abs(g[i]! - (1 - Math.tanh(v) ** 2)) < 1e-6)
  );
});
