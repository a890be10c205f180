import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackendFromEnv } from "./backend_from_env.ts";
import { liveValues } from "./live_values.ts";

await useBackendFromEnv({ quiet: true });

Deno.test("liveValues() writes through to the tensor's storage", () => {
  const initial = tf.tensor1d([1, 2, 3]);
  const v = tf.variable(initial, false);
  assert.equal(liveValues(v), undefined, "shared with its initial value");
  initial.dispose();
  const values = liveValues(v);
  assert.ok(values, `live values on ${tf.getBackend()}`);
  values[1] = 7;
  assert.deepEqual(Array.from(v.dataSync()), [1, 7, 3]);
  v.dispose();
});

Deno.test("liveValues() refuses storage shared with another tensor", () => {
  const a = tf.tensor1d([1, 2]);
  const b = tf.reshape(a, [2, 1]);
  assert.equal(liveValues(a), undefined);
  tf.dispose([a, b]);
  assert.equal(liveValues(tf.tensor1d([1], "int32")), undefined);
});
