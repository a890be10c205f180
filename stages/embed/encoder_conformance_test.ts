import { encoderConformance } from "../../testing/encoder_conformance.ts";
import { createMobileNetV2Encoder } from "./mobilenet_v2.ts";
import { OnnxEncoder } from "./onnx_encoder.ts";
import { tinyOnnxModel } from "./tiny_onnx_model.ts";

encoderConformance({
  label: "MobileNetV2 (nsfwjs → ONNX)",
  newEncoder: () => createMobileNetV2Encoder({ threads: 2 }),
});

encoderConformance({
  label: "OnnxEncoder on a tiny custom model",
  newEncoder: () =>
    OnnxEncoder.create({
      model: tinyOnnxModel({ dim: 16, seed: 9 }),
      name: "tiny",
      inputSize: 32,
      threads: 1,
    }),
  batchTolerance: 1e-5,
});
