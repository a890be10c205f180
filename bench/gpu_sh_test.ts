import assert from "node:assert/strict";
import { needsWebGpu } from "../testing/webgpu.ts";

const root = new URL("..", import.meta.url).pathname;

/** The table rows of gpu.sh's output: backend name → cells. */
function rows(text: string): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 6 || !/^[a-z]/.test(cells[1] ?? "")) continue;
    if (cells[1] === "backend") continue;
    table.set(cells[1]!.split(" ")[0]!, cells.slice(2, -1));
  }
  return table;
}

Deno.test({
  name:
    "bench/gpu.sh runs end to end at a small size: the adapter, the training step on webgpu and wasm with the same final loss, the encoder on webgpu and cpu with the same embeddings",
  ...await needsWebGpu("the device check bench/gpu.sh"),
  async fn() {
    const { code, stdout, stderr } = await new Deno.Command("bash", {
      args: [
        "bench/gpu.sh",
        "--n",
        "64",
        "--d",
        "16",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--backends",
        "webgpu,wasm",
      ],
      cwd: root,
      env: {
        DENO: Deno.execPath(),
        NO_COLOR: "1",
        GPU_EMBED_ARGS: "--batch 2 --batches 1 --threads 1",
      },
    }).output();
    const text = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    assert.equal(code, 0, text);
    assert.match(text, /^webgpu adapter: .+ \(.*(hardware|software)/m);
    const table = rows(text.split("\nONNX encoder")[0]!);
    const [gpu, wasm] = [table.get("webgpu"), table.get("wasm")];
    assert.ok(gpu && wasm, `no webgpu and wasm rows in:\n${text}`);
    for (const cells of [gpu, wasm]) {
      assert.ok(Number(cells[0]) > 0, `ms/step: ${cells}`);
    }
    assert.equal(gpu[3], "1.00", "webgpu over itself");
    // Same model, bag and seed: three AdamW steps agree to float32 rounding.
    const [a, b] = [Number(gpu[2]), Number(wasm[2])];
    assert.ok(
      Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)),
      `final loss ${a} on webgpu vs ${b} on wasm`,
    );
    // The encoder: both devices ran where asked, embeddings within 1e-5.
    assert.match(text, /^\| webgpu \| webgpu \| [\d.]+ \|/m);
    assert.match(text, /^\| cpu \| cpu \| [\d.]+ \|/m);
    const relative =
      /embeddings: largest difference .* \(([-+.\de]+) relative\)/
        .exec(text);
    assert.ok(relative, `no embeddings line in:\n${text}`);
    assert.ok(Number(relative[1]) <= 1e-5, relative[0]);
  },
});
