/**
 * Resolves an encoder named on the command line: `mobilenet_v2` (the
 * offline default) or the path of an ONNX image model.
 *
 * @module
 */

import type { Encoder, Rgb3 } from "./encoder.ts";
import { createMobileNetV2Encoder } from "./mobilenet_v2.ts";
import { type EncoderDevice, OnnxEncoder } from "./onnx_encoder.ts";

/** Names {@linkcode openEncoder} knows besides `.onnx` paths. */
export const BUILTIN_ENCODERS = ["mobilenet_v2"] as const;

/** Options of {@linkcode openEncoder}. */
export interface OpenEncoderOptions {
  /** Intra-op threads (default 2). */
  threads?: number;
  /** `"webgpu"` to run on the GPU where there is one (default `"cpu"`). */
  device?: EncoderDevice;
  /** For `.onnx` paths: input side (default 224). */
  inputSize?: number;
  /** For `.onnx` paths: channel means on [0, 1] (default ImageNet). */
  mean?: Rgb3;
  /** For `.onnx` paths: channel standard deviations (default ImageNet). */
  std?: Rgb3;
  /** For `.onnx` paths: input to feed (default the first). */
  inputName?: string;
  /** For `.onnx` paths: output holding the features (default the first). */
  outputName?: string;
  /** For `.onnx` paths: stored encoder name (default the file stem). */
  name?: string;
}

/**
 * Opens `spec`: a built-in name or a path ending in `.onnx`.
 *
 * @example
 * ```ts ignore
 * import { openEncoder } from "./open_encoder.ts";
 * const def = await openEncoder("mobilenet_v2", { threads: 2 });
 * const uni = await openEncoder("models/uni.onnx", { inputSize: 224, name: "uni" });
 * ```
 */
export async function openEncoder(
  spec: string,
  options: OpenEncoderOptions = {},
): Promise<Encoder> {
  const threads = options.threads === undefined
    ? {}
    : { threads: options.threads };
  const device = options.device === undefined ? {} : { device: options.device };
  if (spec === "mobilenet_v2") {
    return await createMobileNetV2Encoder({ ...threads, ...device });
  }
  if (!/\.onnx$/i.test(spec)) {
    throw new RangeError(
      `Unknown encoder "${spec}": expected one of ${
        BUILTIN_ENCODERS.join(", ")
      } or a path ending in .onnx`,
    );
  }
  const { threads: _t, device: _d, inputSize, ...rest } = options;
  return await OnnxEncoder.create({
    model: spec,
    inputSize: inputSize ?? 224,
    ...threads,
    ...device,
    ...rest,
  });
}
