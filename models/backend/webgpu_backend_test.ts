/**
 * The WebGPU backend as `useBackend("webgpu")` starts it: synchronous
 * reads, the fixed AddN and split-K matmul kernels (compared with the cpu
 * backend), the adapter it reports, and `auto` leaving a software adapter
 * alone.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "./use_backend.ts";
import { isSoftwareAdapter } from "./webgpu_adapter.ts";
import { needsWebGpu, webGpuAdapterForTests } from "../../testing/webgpu.ts";

const gpu = await needsWebGpu("the webgpu backend's own tests");

/** Runs `fn` on cpu and on webgpu; returns both results' values. */
async function onBoth(
  fn: () => tf.Tensor,
): Promise<{ cpu: Float32Array; webgpu: Float32Array }> {
  const out: Record<string, Float32Array> = {};
  for (const backend of ["cpu", "webgpu"] as const) {
    await useBackend(backend, { quiet: true });
    const t = fn();
    out[backend] = Float32Array.from(t.dataSync());
    t.dispose();
  }
  return { cpu: out.cpu!, webgpu: out.webgpu! };
}

function assertClose(
  got: Float32Array,
  want: Float32Array,
  relative: number,
  what: string,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0, diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  }
  assert.ok(
    diff <= relative * scale,
    `${what}: max difference ${diff} vs scale ${scale}`,
  );
}

Deno.test({
  name:
    "useBackend('webgpu') names the adapter and dataSync reads what data() reads, across staging chunks",
  ...gpu,
  async fn() {
    const info = await useBackend("webgpu", { quiet: true });
    assert.equal(info.name, "webgpu");
    assert.equal(tf.getBackend(), "webgpu");
    assert.ok(info.adapter, "adapter reported");
    assert.match(info.reason, /^requested; /);
    // 1.5 M floats = 6 MB: two round trips through the 4 MiB staging buffer.
    const x = tf.tidy(() => tf.range(0, 1_500_000).mul(0.5).add(1));
    const i = tf.tidy(() => tf.range(0, 10, 1, "int32").mul(3));
    const b = tf.tidy(() => tf.greater(tf.range(0, 6), 2));
    try {
      const sync = x.dataSync() as Float32Array;
      assert.equal(sync.length, 1_500_000);
      assert.equal(sync[0], 1);
      assert.equal(sync[1_499_999], 1 + 0.5 * 1_499_999);
      assert.deepEqual([...i.dataSync()], [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
      assert.deepEqual([...b.dataSync()], [0, 0, 0, 1, 1, 1]);
      const y = tf.tidy(() => tf.sum(x.mul(2)));
      assert.equal(y.dataSync()[0], (await y.data())[0]);
      y.dispose();
    } finally {
      tf.dispose([x, i, b]);
    }
  },
});

Deno.test({
  name: "addN on webgpu sums any number of tensors as the cpu backend does",
  ...gpu,
  async fn() {
    for (const count of [2, 6, 7, 8, 9, 20]) {
      const { cpu, webgpu } = await onBoth(() =>
        tf.tidy(() =>
          tf.addN(
            Array.from(
              { length: count },
              (_, k) => tf.fill([3000], k + 1).mul(tf.range(0, 3000)),
            ),
          )
        )
      );
      assertClose(webgpu, cpu, 1e-6, `addN of ${count}`);
    }
  },
});

Deno.test({
  name:
    "matMul on webgpu with a transposed B and a long inner dimension matches cpu, with its gradients",
  ...gpu,
  async fn() {
    for (
      const [aShape, bShape, ta, tb] of [
        [[33, 3072], [8, 3072], false, true],
        [[3072, 33], [8, 3072], true, true],
        [[33, 3072], [3072, 8], false, false],
      ] as [number[], number[], boolean, boolean][]
    ) {
      const what = `[${aShape}]${ta ? "ᵀ" : ""} × [${bShape}]${tb ? "ᵀ" : ""}`;
      const product = () =>
        tf.tidy(() => {
          const a = tf.randomNormal(aShape, 0, 1, "float32", 1);
          const b = tf.randomNormal(bShape, 0, 1, "float32", 2);
          const w = tf.randomNormal(
            [ta ? aShape[1]! : aShape[0]!, tb ? bShape[0]! : bShape[1]!],
            0,
            1,
            "float32",
            3,
          );
          const f = (x: tf.Tensor, y: tf.Tensor) =>
            tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w));
          const [ga, gb] = tf.grads(f)([a, b]);
          return tf.concat([
            tf.matMul(a, b, ta, tb).flatten(),
            ga!.flatten(),
            gb!.flatten(),
          ]);
        });
      const { cpu, webgpu } = await onBoth(product);
      assertClose(webgpu, cpu, 1e-5, what);
    }
  },
});

Deno.test({
  name: "a software adapter is reported as one and auto does not pick it",
  ...gpu,
  async fn() {
    const adapter = await webGpuAdapterForTests();
    assert.ok(typeof adapter !== "string", String(adapter));
    assert.equal(adapter.software, isSoftwareAdapter(adapter));
    if (/llvmpipe|lavapipe/i.test(adapter.description)) {
      assert.ok(adapter.software, "lavapipe is software");
    }
    if (adapter.software) {
      const info = await useBackend("auto", { quiet: true });
      assert.notEqual(info.name, "webgpu");
      assert.match(info.reason, /WebGPU/);
    }
  },
});
