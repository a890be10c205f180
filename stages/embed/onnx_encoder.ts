/**
 * An {@linkcode Encoder} over any ONNX image model with an NCHW float input
 * and a feature output, run by `onnxruntime-node` on the CPU.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import {
  type Encoder,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type PreparedBatch,
  type Rgb3,
  type RgbImage,
} from "./encoder.ts";
import { toNchw } from "./preprocess.ts";
import { createWebGpuSession } from "./webgpu_session.ts";

/** Where an encoder runs its model. */
export type EncoderDevice = "cpu" | "webgpu";

/** Options of {@linkcode OnnxEncoder.create}. */
export interface OnnxEncoderOptions {
  /** Path of the `.onnx` file, or its bytes. */
  model: string | Uint8Array;
  /** Name stored with the embeddings (default: the file stem). */
  name?: string;
  /** Side of the square input, e.g. 224. */
  inputSize: number;
  /** Channel means on the [0, 1] scale (default ImageNet). */
  mean?: Rgb3;
  /** Channel standard deviations on the [0, 1] scale (default ImageNet). */
  std?: Rgb3;
  /** Input to feed (default: the model's first input). */
  inputName?: string;
  /** Output to read as features (default: the model's first output). */
  outputName?: string;
  /** Intra-op threads (default 2). */
  threads?: number;
  /**
   * `"webgpu"`: run on the GPU (onnxruntime-web's WebGPU provider), falling
   * back to the CPU with one line on stderr saying why when there is no
   * adapter; default `"cpu"` (onnxruntime-node).
   */
  device?: EncoderDevice;
}

/**
 * An ONNX image encoder. Features are the named output flattened per image,
 * so `[N, D]` and `[N, D, 1, 1]` outputs both work.
 *
 * @example
 * ```ts ignore
 * import { OnnxEncoder } from "./onnx_encoder.ts";
 * const uni = await OnnxEncoder.create({
 *   model: "uni.onnx", name: "uni", inputSize: 224, threads: 2,
 * });
 * const [features] = await uni.embed([tile]); // features.length === uni.dim
 * await uni.close();
 * ```
 */
export class OnnxEncoder implements Encoder {
  readonly name: string;
  readonly fingerprint: string;
  readonly source: string;
  readonly inputSize: number;
  readonly mean: Rgb3;
  readonly std: Rgb3;
  readonly dim: number;
  /** Where the model runs (`"cpu"` after a fallback from `"webgpu"`). */
  readonly device: EncoderDevice;
  #session: ort.InferenceSession;
  #inputName: string;
  #outputName: string;
  #closed = false;

  private constructor(
    session: ort.InferenceSession,
    fields: {
      name: string;
      fingerprint: string;
      source: string;
      inputSize: number;
      mean: Rgb3;
      std: Rgb3;
      dim: number;
      inputName: string;
      outputName: string;
      device: EncoderDevice;
    },
  ) {
    this.#session = session;
    this.device = fields.device;
    this.name = fields.name;
    this.fingerprint = fields.fingerprint;
    this.source = fields.source;
    this.inputSize = fields.inputSize;
    this.mean = fields.mean;
    this.std = fields.std;
    this.dim = fields.dim;
    this.#inputName = fields.inputName;
    this.#outputName = fields.outputName;
  }

  /** Loads the model and probes its feature size with one blank image. */
  static async create(options: OnnxEncoderOptions): Promise<OnnxEncoder> {
    const { model, inputSize } = options;
    const where = typeof model === "string" ? model : "the given ONNX bytes";
    if (!Number.isInteger(inputSize) || inputSize <= 0) {
      throw new RangeError(
        `OnnxEncoder needs a positive integer inputSize for ${where}: current value is ${inputSize}`,
      );
    }
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads <= 0) {
      throw new RangeError(
        `OnnxEncoder needs a positive integer thread count: current value is ${threads}`,
      );
    }
    const mean = options.mean ?? IMAGENET_MEAN;
    const std = options.std ?? IMAGENET_STD;
    if (std.some((s) => !(s > 0))) {
      throw new RangeError(
        `OnnxEncoder needs positive std values: current value is [${std}]`,
      );
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    };
    let session: ort.InferenceSession | undefined;
    let device: EncoderDevice = "cpu";
    if (options.device === "webgpu") {
      const gpu = await createWebGpuSession(model);
      if (typeof gpu === "string") {
        console.error(
          `asmil embed: ${where} runs on the cpu: ${gpu}`,
        );
      } else {
        session = gpu.session;
        device = "webgpu";
      }
    } else if (options.device !== undefined && options.device !== "cpu") {
      throw new RangeError(
        `OnnxEncoder device must be cpu or webgpu: got "${options.device}"`,
      );
    }
    try {
      session ??= typeof model === "string"
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
    } catch (cause) {
      throw new Error(
        `Cannot load ONNX model from ${where}: ${String(cause)}`,
        { cause },
      );
    }
    const inputName = pick(
      options.inputName,
      session.inputNames,
      "input",
      where,
    );
    const outputName = pick(
      options.outputName,
      session.outputNames,
      "output",
      where,
    );
    const probe = new ort.Tensor(
      "float32",
      new Float32Array(3 * inputSize * inputSize),
      [
        1,
        3,
        inputSize,
        inputSize,
      ],
    );
    let dim: number;
    try {
      const out = await session.run({ [inputName]: probe }, [outputName]);
      dim = out[outputName]!.data.length;
    } catch (cause) {
      await session.release();
      throw new Error(
        `ONNX model ${where} failed on a [1, 3, ${inputSize}, ${inputSize}] input; is inputSize right? ${
          String(cause)
        }`,
        { cause },
      );
    }
    const name = options.name ??
      (typeof model === "string" ? stem(model) : "onnx");
    const fingerprint = await modelFingerprint(model, {
      inputSize,
      mean,
      std,
      inputName,
      outputName,
    });
    return new OnnxEncoder(session, {
      name,
      fingerprint,
      source: where,
      inputSize,
      mean,
      std,
      dim,
      inputName,
      outputName,
      device,
    });
  }

  prepare(batch: readonly RgbImage[]): PreparedBatch {
    return {
      n: batch.length,
      data: toNchw(batch, this.inputSize, this.mean, this.std),
    };
  }

  async infer(batch: PreparedBatch): Promise<Float32Array[]> {
    if (this.#closed) throw new Error(`Encoder ${this.name} is closed`);
    const s = this.inputSize;
    if (batch.data.length !== batch.n * 3 * s * s) {
      throw new RangeError(
        `Encoder ${this.name} expects ${batch.n} × 3 × ${s} × ${s} input values: current length is ${batch.data.length}`,
      );
    }
    if (batch.n === 0) return [];
    const input = new ort.Tensor("float32", batch.data, [batch.n, 3, s, s]);
    const out = await this.#session.run({ [this.#inputName]: input }, [
      this.#outputName,
    ]);
    const tensor = out[this.#outputName]!;
    const data = tensor.data as Float32Array;
    const rows: Float32Array[] = [];
    for (let i = 0; i < batch.n; i++) {
      rows.push(data.slice(i * this.dim, (i + 1) * this.dim));
    }
    tensor.dispose();
    return rows;
  }

  embed(batch: readonly RgbImage[]): Promise<Float32Array[]> {
    try {
      return this.infer(this.prepare(batch));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
  }
}

function pick(
  wanted: string | undefined,
  names: readonly string[],
  kind: string,
  where: string,
) {
  if (wanted === undefined) {
    if (names.length === 0) {
      throw new Error(`ONNX model ${where} has no ${kind}s`);
    }
    return names[0]!;
  }
  if (!names.includes(wanted)) {
    throw new RangeError(
      `ONNX model ${where} has no ${kind} named ${wanted}: its ${kind}s are ${
        names.join(", ")
      }`,
    );
  }
  return wanted;
}

function stem(path: string): string {
  const base = path.split(/[\\/]/).at(-1) ?? path;
  return base.replace(/\.onnx$/i, "");
}

/**
 * SHA-256 (first 16 hex digits) of the model's bytes and the preprocessing
 * settings: the same file and settings give the same fingerprint wherever
 * it lies. A file is hashed in chunks, so large models are not held twice.
 */
async function modelFingerprint(
  model: string | Uint8Array,
  settings: Record<string, unknown>,
): Promise<string> {
  const hash = createHash("sha256");
  if (typeof model === "string") {
    // The readable stream closes the file when it ends or fails.
    const file = await Deno.open(model, { read: true });
    for await (const chunk of file.readable) hash.update(chunk);
  } else {
    hash.update(model);
  }
  hash.update(JSON.stringify(settings));
  return hash.digest("hex").slice(0, 16);
}
