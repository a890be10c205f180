import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackendFromEnv } from "./backend/mod.ts";
import { checkBag } from "./bag_check.ts";

await useBackendFromEnv({ quiet: true });

Deno.test("checkBag() accepts a finite [N, D] float32 bag", () => {
  checkBag(tf.randomNormal([5, 4]), 4);
  checkBag(tf.ones([1, 4]), 4);
});

Deno.test("checkBag() rejects a wrong D, no instances or a wrong rank with both shapes", () => {
  assert.throws(
    () => checkBag(tf.ones([5, 3]), 4),
    /must be \[N, 4\] with N ≥ 1: got \[5,3\]/,
  );
  assert.throws(() => checkBag(tf.ones([0, 4]), 4), /got \[0,4\]/);
  assert.throws(() => checkBag(tf.ones([4]), 4), /got \[4\]/);
});

Deno.test("checkBag() names the first NaN or Inf by instance and feature", () => {
  const values = new Float32Array(12);
  values[7] = Infinity;
  values[10] = NaN;
  assert.throws(
    () => checkBag(tf.tensor2d(values, [3, 4]), 4),
    /Infinity at instance 1, feature 3 of \[3,4\]/,
  );
});

Deno.test("checkBag() finds non-finite values even when finite ones are huge", () => {
  const values = new Float32Array(8).fill(3e38);
  checkBag(tf.tensor2d(values, [2, 4]), 4);
  values[5] = NaN;
  assert.throws(
    () => checkBag(tf.tensor2d(values, [2, 4]), 4),
    /NaN at instance 1, feature 1/,
  );
});

Deno.test("checkBag() prefixes its message with where the bag came from", () => {
  assert.throws(
    () => checkBag(tf.ones([2, 3]), 4, 'slide "a7"'),
    /^RangeError: slide "a7": bag features/,
  );
});

Deno.test("checkBag() rejects integer features", () => {
  assert.throws(
    () => checkBag(tf.ones([2, 4], "int32"), 4),
    /float32: got int32/,
  );
});
