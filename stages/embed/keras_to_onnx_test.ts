import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { Rng } from "../../core/random.ts";
import { parseLayersModel } from "./keras_artifacts.ts";
import { kerasToOnnx } from "./keras_to_onnx.ts";

/** Saves a tfjs model to the JSON + bytes form nsfwjs ships. */
async function artifactsOf(model: tf.LayersModel) {
  let saved!: tf.io.ModelArtifacts;
  await model.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const json = {
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [], weights: saved.weightSpecs }],
  };
  return { json, bytes: new Uint8Array(saved.weightData as ArrayBuffer) };
}

function randomizeWeights(model: tf.LayersModel, rng: Rng) {
  for (const layer of model.layers) {
    const names = layer.weights.map((w) => w.originalName);
    layer.setWeights(
      layer.getWeights().map((w, i) => {
        const positive = names[i]!.includes("variance");
        const data = Float32Array.from(
          { length: w.size },
          () => positive ? rng.uniform(0.5, 2) : rng.normal(0, 0.3),
        );
        return tf.tensor(data, w.shape);
      }),
    );
  }
}

Deno.test("kerasToOnnx() matches tfjs on a network with padding, standalone batch norm, pooling, flatten and dense", async () => {
  await tf.setBackend("cpu");
  const input = tf.input({ shape: [20, 20, 3] });
  let x = tf.layers.conv2d({
    filters: 6,
    kernelSize: 3,
    strides: 2,
    padding: "same",
    useBias: true,
  }).apply(input);
  x = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x);
  x = tf.layers.reLU({ maxValue: 6 }).apply(x);
  const skip = x;
  x = tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]] }).apply(x);
  x = tf.layers.batchNormalization({}).apply(x); // after padding: a real Pad node
  x = tf.layers.depthwiseConv2d({
    kernelSize: 3,
    depthMultiplier: 1,
    padding: "valid",
    useBias: false,
  }).apply(x);
  x = tf.layers.add().apply([
    x as tf.SymbolicTensor,
    skip as tf.SymbolicTensor,
  ]);
  x = tf.layers.conv2d({ filters: 5, kernelSize: 1, activation: "relu" }).apply(
    x,
  );
  x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(x);
  x = tf.layers.flatten().apply(x); // 5×5×5, channels-last order
  x = tf.layers.dropout({ rate: 0.5 }).apply(x);
  const out = tf.layers.dense({ units: 7, activation: "relu" }).apply(
    x,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const rng = new Rng(21);
  randomizeWeights(model, rng);

  const { json, bytes } = await artifactsOf(model);
  const onnxBytes = kerasToOnnx(parseLayersModel(json, bytes));
  const session = await ort.InferenceSession.create(onnxBytes);
  const n = 2;
  const nhwc = Float32Array.from(
    { length: n * 20 * 20 * 3 },
    () => rng.uniform(0, 1),
  );
  const nchw = new Float32Array(nhwc.length);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 400; p++) {
      for (let c = 0; c < 3; c++) {
        nchw[i * 1200 + c * 400 + p] = nhwc[i * 1200 + p * 3 + c]!;
      }
    }
  }
  const got = (await session.run({
    input: new ort.Tensor("float32", nchw, [n, 3, 20, 20]),
  })).features!
    .data as Float32Array;
  const want =
    await (model.predict(tf.tensor4d(nhwc, [n, 20, 20, 3])) as tf.Tensor)
      .data();
  await session.release();
  assert.equal(got.length, want.length);
  const err = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
  assert.ok(want.some((v) => v > 0), "dense output should not be all zero");
  assert.ok(err < 1e-4, `max |onnx − tfjs| = ${err}`);
});

Deno.test("kerasToOnnx() names an unsupported layer and an unknown output layer", () => {
  const layer = (
    name: string,
    className: string,
    inbound: string[],
    config = {},
  ) => ({ name, className, config, inbound });
  const model = {
    layers: [
      layer("in", "InputLayer", [], { batch_input_shape: [null, 8, 8, 3] }),
      layer("lstm_1", "LSTM", ["in"]),
    ],
    weights: new Map(),
  };
  assert.throws(() => kerasToOnnx(model), /Layer lstm_1 has class LSTM/);
  assert.throws(
    () => kerasToOnnx(model, { outputLayer: "fc" }),
    /Output layer fc is not in the model/,
  );
});

Deno.test("parseLayersModel() reports weight data shorter than the manifest", () => {
  const json = {
    modelTopology: { config: { layers: [] } },
    weightsManifest: [{
      paths: [],
      weights: [{ name: "d/kernel", shape: [4, 4], dtype: "float32" }],
    }],
  };
  assert.throws(
    () => parseLayersModel(json, new Uint8Array(10)),
    /d\/kernel needs bytes 0..64: weight data has only 10/,
  );
});
