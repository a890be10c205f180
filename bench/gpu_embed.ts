/**
 * ONNX encoder (MobileNetV2 by default) tiles/s on webgpu vs ONNX Runtime on the CPU, with the ratio.
 *
 * The same model and tiles (224², already resized, random pixels) through
 * `OnnxEncoder` on `cpu` (onnxruntime-node, all cores) and on `webgpu`
 * (onnxruntime-web's WebGPU provider): one warm-up batch, then batches
 * timed back to back; the embeddings of the two are compared (largest
 * difference over largest value). The target on a GPU: ≥ 10× the
 * CPU's tiles/s.
 *
 * Options: `--model FILE.onnx` (default: the converted built-in model in
 * the encoder cache, `$ASMIL_CACHE` or ~/.cache/asmil), `--input-size 224`,
 * `--batch 32`, `--batches 3`, `--threads N` (CPU; default all cores),
 * `--out FILE` (also write the table as Markdown).
 *
 * @module
 */
import { join } from "node:path";
import { homedir } from "node:os";
import { randomImages } from "../testing/random_images.ts";
import {
  type EncoderDevice,
  OnnxEncoder,
} from "../stages/embed/onnx_encoder.ts";
import type { RgbImage } from "../stages/embed/encoder.ts";

interface Config {
  model?: string;
  inputSize: number;
  batch: number;
  batches: number;
  threads: number;
  out?: string;
}

function parse(args: string[]): Config {
  const config: Config = {
    inputSize: 224,
    batch: 32,
    batches: 3,
    threads: navigator.hardwareConcurrency ?? 1,
  };
  const int = (flag: string, v: string | undefined) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) {
      throw new Error(`${flag} expects a positive integer: got "${v}"`);
    }
    return x;
  };
  const path = (flag: string, v: string | undefined) => {
    if (!v) throw new Error(`${flag} expects a file path`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = () => args[++i];
    if (flag === "--model") config.model = path(flag, value());
    else if (flag === "--input-size") config.inputSize = int(flag, value());
    else if (flag === "--batch") config.batch = int(flag, value());
    else if (flag === "--batches") config.batches = int(flag, value());
    else if (flag === "--threads") config.threads = int(flag, value());
    else if (flag === "--out") config.out = path(flag, value());
    else throw new Error(`Unknown option "${flag}" for bench gpu-embed`);
  }
  return config;
}

/** The newest converted built-in model in the encoder cache, if any. */
function cachedBuiltIn(): string | undefined {
  const env = (k: string) => Deno.env.get(k) || undefined;
  const dir = env("ASMIL_CACHE") ??
    join(env("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "asmil");
  try {
    const names = [...Deno.readDirSync(dir)].map((e) => e.name)
      .filter((n) => /^mobilenet_v2-.*\.onnx$/.test(n)).sort();
    return names.length > 0 ? join(dir, names.at(-1)!) : undefined;
  } catch {
    return undefined;
  }
}

interface Row {
  device: EncoderDevice;
  ran: EncoderDevice;
  tilesPerSecond: number;
  firstBatchMs: number;
  embeddings: Float32Array[];
}

async function measure(
  device: EncoderDevice,
  model: string,
  config: Config,
  batch: RgbImage[],
): Promise<Row> {
  const encoder = await OnnxEncoder.create({
    model,
    inputSize: config.inputSize,
    threads: config.threads,
    device,
  });
  try {
    const prepared = encoder.prepare(batch);
    let start = performance.now();
    const embeddings = await encoder.infer(prepared);
    const firstBatchMs = performance.now() - start;
    start = performance.now();
    for (let b = 0; b < config.batches; b++) await encoder.infer(prepared);
    const seconds = (performance.now() - start) / 1000;
    return {
      device,
      ran: encoder.device,
      tilesPerSecond: config.batches * config.batch / seconds,
      firstBatchMs,
      embeddings,
    };
  } finally {
    await encoder.close();
  }
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  const config = parse(args);
  const model = config.model ?? cachedBuiltIn();
  if (model === undefined) {
    throw new Error(
      "bench gpu-embed needs --model FILE.onnx: no converted built-in model in the encoder cache (asmil embed creates it)",
    );
  }
  const batch = randomImages(config.batch, config.inputSize, 5);
  const cpu = await measure("cpu", model, config, batch);
  const gpu = await measure("webgpu", model, config, batch);
  let diff = 0, scale = 0;
  cpu.embeddings.forEach((row, i) =>
    row.forEach((v, j) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - gpu.embeddings[i]![j]!));
    })
  );
  const lines = [
    `ONNX encoder ${model} (${
      cpu.embeddings[0]?.length ?? 0
    }-d) on ${config.batch} tiles of ${config.inputSize}² per batch; ${config.batches} timed batches after one warm-up; cpu: onnxruntime-node, ${config.threads} thread(s)`,
    "",
    "| device | ran on | tiles/s | first batch ms | tiles/s over cpu |",
    "|---|---|---:|---:|---:|",
    ...[cpu, gpu].map((r) =>
      `| ${r.device} | ${r.ran} | ${r.tilesPerSecond.toFixed(1)} | ${
        r.firstBatchMs.toFixed(0)
      } | ${(r.tilesPerSecond / cpu.tilesPerSecond).toFixed(2)} |`
    ),
    "",
    `embeddings: largest difference ${diff.toExponential(2)} at values up to ${
      scale.toFixed(3)
    } (${(diff / scale).toExponential(2)} relative)`,
  ];
  const text = lines.join("\n");
  console.log(text);
  if (config.out) await Deno.writeTextFile(config.out, text + "\n");
}

if (import.meta.main) await run(Deno.args);
