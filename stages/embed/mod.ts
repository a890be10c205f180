/**
 * The embed stage: tile encoders (any NCHW ONNX image model; the offline
 * default is nsfwjs's MobileNetV2 converted to ONNX), the `EmbedStream`
 * stage, `embedSlides` for `asmil embed`, and feature import/export.
 *
 * @module
 */

export type { Encoder, PreparedBatch, Rgb3, RgbImage } from "./encoder.ts";
export { IMAGENET_MEAN, IMAGENET_STD } from "./encoder.ts";
export { OnnxEncoder, type OnnxEncoderOptions } from "./onnx_encoder.ts";
export {
  cacheDir,
  createMobileNetV2Encoder,
  mobileNetV2OnnxPath,
  type MobileNetV2Options,
} from "./mobilenet_v2.ts";
export {
  BUILTIN_ENCODERS,
  openEncoder,
  type OpenEncoderOptions,
} from "./open_encoder.ts";
export { toNchw } from "./preprocess.ts";
export {
  claimEncoderName,
  type EncoderIdentity,
  IMPORTED_FINGERPRINT,
} from "./encoder_registry.ts";
export {
  EmbedStream,
  type EmbedStreamOptions,
  type SlideEmbedded,
} from "./embed_stream.ts";
export {
  embedSlides,
  type EmbedSlidesOptions,
  type EmbedSummary,
} from "./embed_slides.ts";
export {
  type FeatureFormat,
  importFeatures,
  type ImportFeaturesOptions,
  type ImportSummary,
} from "./import_features.ts";
export {
  exportFeatures,
  type ExportFeaturesOptions,
} from "./export_features.ts";
export { kerasToOnnx, type KerasToOnnxOptions } from "./keras_to_onnx.ts";
export { parseLayersModel } from "./keras_artifacts.ts";
