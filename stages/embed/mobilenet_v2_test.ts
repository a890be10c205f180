import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../core/random.ts";
import {
  createMobileNetV2Encoder,
  loadNsfwjsMobileNetV2,
  MOBILENET_V2_FEATURE_LAYER,
} from "./mobilenet_v2.ts";

const cache = await Deno.makeTempDir({ prefix: "asmil-embed-" });

/** The same MobileNetV2 run by tfjs itself, cut at the feature layer. */
async function tfjsFeatures(
  images: Float32Array,
  n: number,
): Promise<Float32Array> {
  const a = await loadNsfwjsMobileNetV2();
  const manifest = a.modelJson.weightsManifest as {
    weights: tf.io.WeightsManifestEntry[];
  }[];
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: a.modelJson
      .modelTopology as tf.io.ModelJSON["modelTopology"],
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: a.weightBytes.slice().buffer,
  }));
  const features = tf.model({
    inputs: model.inputs,
    outputs: model.getLayer(MOBILENET_V2_FEATURE_LAYER)
      .output as tf.SymbolicTensor,
  });
  const out = features.predict(
    tf.tensor4d(images, [n, 224, 224, 3]),
  ) as tf.Tensor;
  return await out.data() as Float32Array;
}

Deno.test("MobileNetV2 ONNX features match the tfjs model within 1e-4 on random images", async () => {
  await tf.setBackend("cpu");
  const n = 3, rng = new Rng(11);
  const images = Array.from({ length: n }, () => {
    const rgb = new Uint8Array(224 * 224 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(256);
    return { rgb, width: 224, height: 224 };
  });
  const encoder = await createMobileNetV2Encoder({
    cacheDir: cache,
    threads: 2,
  });
  try {
    assert.equal(encoder.dim, 1280);
    const onnx = await encoder.embed(images);
    const nhwc = new Float32Array(n * 224 * 224 * 3);
    images.forEach((img, i) =>
      img.rgb.forEach((v, j) => nhwc[i * img.rgb.length + j] = v / 255)
    );
    const ref = await tfjsFeatures(nhwc, n);
    let maxErr = 0, maxRef = 0;
    onnx.forEach((row, i) =>
      row.forEach((v, j) => {
        maxErr = Math.max(maxErr, Math.abs(v - ref[i * 1280 + j]!));
        maxRef = Math.max(maxRef, Math.abs(ref[i * 1280 + j]!));
      })
    );
    console.log(
      `max |onnx − tfjs| = ${maxErr.toExponential(2)} (max |feature| ${
        maxRef.toFixed(3)
      })`,
    );
    assert.ok(maxRef > 0.1, `features should not be all zero: max ${maxRef}`);
    assert.ok(maxErr < 1e-4, `max abs difference ${maxErr} exceeds 1e-4`);
  } finally {
    await encoder.close();
  }
});

Deno.test("MobileNetV2 conversion is cached by nsfwjs version and reused", async () => {
  const files = [...Deno.readDirSync(cache)].map((e) => e.name);
  assert.ok(
    files.some((f) => /^mobilenet_v2-nsfwjs@4\.4\.0-r\d+\.onnx$/.test(f)),
    `cache holds ${files}`,
  );
  const stat = Deno.statSync(
    `${cache}/${files.find((f) => f.endsWith(".onnx"))}`,
  );
  const encoder = await createMobileNetV2Encoder({
    cacheDir: cache,
    threads: 1,
  });
  await encoder.close();
  const again = Deno.statSync(
    `${cache}/${files.find((f) => f.endsWith(".onnx"))}`,
  );
  assert.equal(again.mtime?.getTime(), stat.mtime?.getTime());
});

Deno.test("MobileNetV2 cache folder is removed after the tests", async () => {
  await Deno.remove(cache, { recursive: true });
  await assert.rejects(Deno.stat(cache), Deno.errors.NotFound);
});
