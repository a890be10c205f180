import assert from "node:assert/strict";
import { OnnxEncoder } from "./onnx_encoder.ts";
import { tinyOnnxModel } from "./tiny_onnx_model.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "./encoder.ts";

const model = tinyOnnxModel({ dim: 8, seed: 3 });

Deno.test("OnnxEncoder.create() reads dim from the model output and defaults to ImageNet constants", async () => {
  const e = await OnnxEncoder.create({ model, inputSize: 16 });
  try {
    assert.equal(e.dim, 8);
    assert.equal(e.name, "onnx");
    assert.deepEqual(e.mean, IMAGENET_MEAN);
    assert.deepEqual(e.std, IMAGENET_STD);
  } finally {
    await e.close();
  }
});

Deno.test("OnnxEncoder.create() names the encoder after the model file and loads it from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/ctranspath_like.onnx`, model);
    const e = await OnnxEncoder.create({
      model: `${dir}/ctranspath_like.onnx`,
      inputSize: 16,
      inputName: "pixels",
      outputName: "embedding",
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
    assert.equal(e.name, "ctranspath_like");
    await e.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OnnxEncoder.create() rejects unknown input or output names and lists the real ones", async () => {
  await assert.rejects(
    OnnxEncoder.create({ model, inputSize: 16, inputName: "image" }),
    /no input named image: its inputs are pixels/,
  );
  await assert.rejects(
    OnnxEncoder.create({ model, inputSize: 16, outputName: "logits" }),
    /no output named logits: its outputs are embedding/,
  );
});

Deno.test("OnnxEncoder.create() rejects bad sizes, thread counts, std and missing files", async () => {
  await assert.rejects(
    OnnxEncoder.create({ model, inputSize: 0 }),
    /inputSize .*current value is 0/,
  );
  await assert.rejects(
    OnnxEncoder.create({ model, inputSize: 16, threads: 1.5 }),
    /thread count: current value is 1.5/,
  );
  await assert.rejects(
    OnnxEncoder.create({ model, inputSize: 16, std: [1, 0, 1] }),
    /positive std/,
  );
  await assert.rejects(
    OnnxEncoder.create({ model: "/nonexistent/uni.onnx", inputSize: 224 }),
    /Cannot load ONNX model from \/nonexistent\/uni.onnx/,
  );
});

Deno.test("OnnxEncoder.infer() rejects a prepared batch of the wrong length", async () => {
  const e = await OnnxEncoder.create({ model, inputSize: 16 });
  try {
    await assert.rejects(
      e.infer({ n: 2, data: new Float32Array(3 * 16 * 16) }),
      /expects 2 × 3 × 16 × 16 input values: current length is 768/,
    );
  } finally {
    await e.close();
  }
});
