/**
 * `asmil train --backend webgpu` against the CPU engine on the same store:
 * a few epochs of gated ABMIL give the same per-epoch losses and predicted
 * probabilities within 1e-4 (measured on lavapipe: 2e-7 relative on the
 * losses, 2.4e-7 on the probabilities). blas where OpenBLAS is installed,
 * plain wasm otherwise (the two agree to float32 rounding,
 * stages/train/backends_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { asmil } from "../testing/asmil_process.ts";
import { hasSystemLib } from "../testing/system_libs.ts";
import { needsWebGpu } from "../testing/webgpu.ts";

const TOLERANCE = 1e-4;

async function ok(args: string[]): Promise<string> {
  const r = await asmil(args);
  assert.equal(r.code, 0, `asmil ${args.join(" ")}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function rows<T>(db: string, sql: string): Promise<T[]> {
  return JSON.parse(
    await ok(["--db", db, "sql", "--format", "json", sql]),
  ) as T[];
}

Deno.test({
  name:
    "asmil train --backend webgpu gives the CPU engine's per-epoch losses and predictions within 1e-4",
  ...await needsWebGpu("training through the CLI on webgpu"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const cpu = hasSystemLib("libopenblas0-pthread") ? "blas" : "wasm";
    const dir = await Deno.makeTempDir({ prefix: "asmil-webgpu-" });
    try {
      const db = join(dir, "s.duckdb");
      await ok([
        "synth-features",
        "--out-store",
        db,
        "--slides",
        "16",
        "--min-tiles",
        "30",
        "--max-tiles",
        "60",
        "--dim",
        "32",
      ]);
      for (const backend of [cpu, "webgpu"]) {
        const stderr = (await asmil([
          "--db",
          db,
          "train",
          "--model",
          "gated_abmil",
          "--epochs",
          "2",
          "--lr",
          "5e-4",
          "--backend",
          backend,
          "--run",
          backend,
          "--out",
          join(dir, backend),
        ])).stderr;
        assert.match(stderr, new RegExp(`asmil backend: ${backend} `));
      }
      const losses = await rows<{ epoch: number; a: number; b: number }>(
        db,
        `SELECT a.epoch, (a.losses->>'total')::DOUBLE AS a, (b.losses->>'total')::DOUBLE AS b
         FROM epochs a JOIN epochs b USING (epoch)
         WHERE a.run = '${cpu}' AND b.run = 'webgpu' ORDER BY epoch`,
      );
      assert.equal(losses.length, 2, JSON.stringify(losses));
      for (const { epoch, a, b } of losses) {
        assert.ok(
          Math.abs(a - b) <= TOLERANCE * Math.abs(a),
          `epoch ${epoch}: loss ${b} on webgpu, ${a} on ${cpu}`,
        );
      }
      const [probs] = await rows<{ n: number; worst: number }>(
        db,
        `SELECT count(*)::INTEGER AS n,
           max(list_max(list_transform(list_zip(a.probabilities, b.probabilities), p -> abs(p[1] - p[2]))))::DOUBLE AS worst
         FROM predictions a JOIN predictions b USING (slide, epoch)
         WHERE a.run = '${cpu}' AND b.run = 'webgpu'`,
      );
      assert.ok(probs && probs.n > 0, "predictions of both runs");
      assert.ok(
        probs.worst <= TOLERANCE,
        `predicted probabilities differ by up to ${probs.worst}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
