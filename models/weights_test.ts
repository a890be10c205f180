import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackendFromEnv } from "./backend/mod.ts";
import {
  assignWeights,
  decodeWeights,
  encodeWeights,
  loadWeights,
  saveWeights,
} from "./weights.ts";
import { ParamScope } from "./weights_scope.ts";

await useBackendFromEnv({ quiet: true });

function layers(seed: number, outDim = 3) {
  const scope = new ParamScope("demo", seed);
  scope.linear("a", 4, outDim);
  scope.linear("b", outDim, 2, { bias: false });
  return scope;
}

Deno.test("saveWeights() and loadWeights() round-trip variables through a file by name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const from = layers(1), to = layers(2);
    await saveWeights(`${dir}/w.bin`, from.variables());
    const header = await loadWeights(`${dir}/w.bin`, to.variables());
    assert.deepEqual(header.tensors.map((t) => t.name), ["a.w", "a.b", "b.w"]);
    for (const [i, v] of from.variables().entries()) {
      assert.deepEqual([...to.variables()[i]!.dataSync()], [...v.dataSync()]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assignWeights() names missing and unexpected variables and assigns nothing", () => {
  const from = new ParamScope("demo", 1);
  from.linear("a", 4, 3);
  from.linear("c", 3, 2);
  const to = layers(2);
  const before = [...to.variables()[0]!.dataSync()];
  assert.throws(
    () =>
      assignWeights(
        to.variables(),
        decodeWeights(encodeWeights(from.variables())),
      ),
    /missing from the file \[b\.w\], not in the model \[c\.w, c\.b\]/,
  );
  assert.deepEqual([...to.variables()[0]!.dataSync()], before);
});

Deno.test("assignWeights() names a variable whose shape differs", () => {
  assert.throws(
    () =>
      assignWeights(
        layers(2, 5).variables(),
        decodeWeights(encodeWeights(layers(1).variables())),
      ),
    /Weight "a\.w" has shape \[4,3\] in the file, the model expects \[4,5\]/,
  );
});

Deno.test("decodeWeights() rejects a file that is not a weight file or is truncated", () => {
  assert.throws(
    () => decodeWeights(new TextEncoder().encode("hello world, not weights")),
    /not an asmil weight file/,
  );
  const bytes = encodeWeights(layers(1).variables());
  assert.throws(
    () => decodeWeights(bytes.subarray(0, bytes.length - 4)),
    /truncated: tensor "b\.w"/,
  );
});

Deno.test("encodeWeights() rejects two variables with the same local name", () => {
  const x = tf.variable(tf.zeros([1]), true, "m.1/x"),
    y = tf.variable(tf.zeros([1]), true, "m.2/x");
  assert.throws(() => encodeWeights([x, y]), /two variables are named "x"/);
});

/** A weight file of `fc.w` [[1.5, −2], [0.25, 3]] and `fc.b` [0.5, −0.125], as the writer before core/tensor_file.ts wrote it. */
const OLD_WEIGHT_FILE =
  "QVNNSUxXVDFeAAAAeyJ0ZW5zb3JzIjpbeyJuYW1lIjoiZmMudyIsInNoYXBlIjpbMiwyXSwib2Zmc2V0IjowfSx7Im5hbWUiOiJmYy5iIiwic2hhcGUiOlsyXSwib2Zmc2V0IjoxNn1dfQAAAADAPwAAAMAAAIA+AABAQAAAAD8AAAC+";

Deno.test("a weight file written by the earlier writer still loads, and the same variables encode to the same bytes", () => {
  const old = Uint8Array.from(atob(OLD_WEIGHT_FILE), (c) => c.charCodeAt(0));
  const decoded = decodeWeights(old);
  assert.deepEqual([...decoded.tensors.keys()], ["fc.w", "fc.b"]);
  assert.deepEqual([...decoded.tensors.get("fc.w")!.values], [
    1.5,
    -2,
    0.25,
    3,
  ]);
  assert.deepEqual([...decoded.tensors.get("fc.b")!.values], [0.5, -0.125]);
  const w = tf.variable(
    tf.tensor2d([[1.5, -2], [0.25, 3]]),
    true,
    "demo.1/fc.w",
  );
  const b = tf.variable(tf.tensor1d([0.5, -0.125]), true, "demo.1/fc.b");
  assert.deepEqual(encodeWeights([w, b]), old);
  w.dispose();
  b.dispose();
});
