/**
 * A tiny random ONNX image model (strided conv → ReLU → global average
 * pool) for tests and examples of bringing your own ONNX encoder.
 *
 * @module
 */

import { Rng } from "../../core/random.ts";
import { OnnxGraphBuilder } from "./onnx_graph.ts";

/**
 * ONNX bytes of a model mapping `[N, 3, size, size]` → `[N, dim, 1, 1]`
 * with input `pixels` and output `embedding`.
 *
 * @example
 * ```ts
 * import { tinyOnnxModel } from "./tiny_onnx_model.ts";
 * const bytes = tinyOnnxModel({ dim: 8, seed: 1 });
 * if (bytes.length < 100) throw new Error("expected a model");
 * ```
 */
export function tinyOnnxModel(
  options: { dim: number; seed: number },
): Uint8Array {
  const { dim } = options;
  const rng = new Rng(options.seed);
  const g = new OnnxGraphBuilder("tiny");
  g.input("pixels", ["N", 3, "H", "W"]);
  const w = Float32Array.from(
    { length: dim * 3 * 4 * 4 },
    () => rng.normal(0, 0.2),
  );
  const b = Float32Array.from({ length: dim }, () => rng.normal(0, 0.1));
  g.node(
    "Conv",
    [
      "pixels",
      g.floatTensor("w", [dim, 3, 4, 4], w),
      g.floatTensor("b", [dim], b),
    ],
    "conv",
    { kernel_shape: [4, 4], strides: [4, 4] },
  );
  g.node("Relu", ["conv"], "relu");
  g.node("GlobalAveragePool", ["relu"], "embedding");
  g.output("embedding", ["N", dim, 1, 1]);
  return g.toBytes();
}
