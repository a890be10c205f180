import assert from "node:assert/strict";
import { OnnxEncoder } from "./onnx_encoder.ts";
import { openEncoder } from "./open_encoder.ts";
import { tinyOnnxModel } from "./tiny_onnx_model.ts";
import { needsWebGpu } from "../../testing/webgpu.ts";
import { randomImages } from "../../testing/random_images.ts";

/**
 * Float32 on a GPU sums convolutions in another order: embeddings agree to
 * this, relative to the largest value (measured on lavapipe: MobileNetV2
 * 2.1e-6, the tiny model 1e-7).
 */
const TOLERANCE = 1e-5;

function assertSameEmbeddings(got: Float32Array[], want: Float32Array[]) {
  assert.equal(got.length, want.length);
  let scale = 0, diff = 0;
  want.forEach((row, i) =>
    row.forEach((v, j) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - got[i]![j]!));
    })
  );
  assert.ok(scale > 0, "non-zero embeddings");
  assert.ok(
    diff <= TOLERANCE * scale,
    `embeddings differ by up to ${diff} (largest value ${scale})`,
  );
}

const gpu = await needsWebGpu("embedding on the WebGPU execution provider");

Deno.test({
  name:
    "an ONNX encoder on webgpu gives the cpu embeddings within 1e-5 of the largest value",
  ...gpu,
  async fn() {
    const model = tinyOnnxModel({ dim: 16, seed: 3 });
    const batch = randomImages(5, 48, 1);
    const out: Record<string, Float32Array[]> = {};
    for (const device of ["cpu", "webgpu"] as const) {
      const encoder = await OnnxEncoder.create({
        model,
        inputSize: 32,
        device,
      });
      try {
        assert.equal(encoder.device, device);
        out[device] = await encoder.embed(batch);
      } finally {
        await encoder.close();
      }
    }
    assertSameEmbeddings(out.webgpu!, out.cpu!);
  },
});

Deno.test({
  name:
    "the built-in mobilenet_v2 on webgpu gives the cpu embeddings within 1e-5 of the largest value",
  ...gpu,
  async fn() {
    const batch = randomImages(2, 256, 2);
    const out: Record<string, Float32Array[]> = {};
    for (const device of ["cpu", "webgpu"] as const) {
      const encoder = await openEncoder("mobilenet_v2", {
        device,
        threads: 1,
      });
      try {
        out[device] = await encoder.embed(batch);
      } finally {
        await encoder.close();
      }
    }
    assert.equal(out.cpu![0]!.length, 1280);
    assertSameEmbeddings(out.webgpu!, out.cpu!);
  },
});

Deno.test("an ONNX encoder refuses a device it does not know", async () => {
  await assert.rejects(
    OnnxEncoder.create({
      model: tinyOnnxModel({ dim: 4, seed: 0 }),
      inputSize: 16,
      device: "cuda" as "cpu",
    }),
    /device must be cpu or webgpu: got "cuda"/,
  );
});
