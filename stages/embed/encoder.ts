/**
 * The contract every tile encoder meets: RGB images in, one feature vector
 * per image out. Implementations: {@linkcode OnnxEncoder} (any NCHW ONNX
 * image model) and the default MobileNetV2 built on it.
 *
 * @module
 */

/** An RGB image, row-major `width × height × 3` bytes. A `Tile` is one. */
export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** A batch already resized and normalised into an NCHW float tensor. */
export interface PreparedBatch {
  /** Number of images. */
  n: number;
  /** `n × 3 × inputSize × inputSize` values. */
  data: Float32Array;
}

/** Per-channel RGB constants. */
export type Rgb3 = readonly [number, number, number];

/** ImageNet channel means on the [0, 1] scale (torchvision convention). */
export const IMAGENET_MEAN: Rgb3 = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations on the [0, 1] scale. */
export const IMAGENET_STD: Rgb3 = [0.229, 0.224, 0.225];

/**
 * A tile encoder. `embed(batch)` equals `infer(prepare(batch))`; the split
 * lets a stage prepare the next batch while the previous one runs.
 *
 * @example
 * ```ts ignore
 * import type { Encoder } from "./encoder.ts";
 * async function featuresOf(encoder: Encoder, tiles: Tile[]) {
 *   const rows = await encoder.embed(tiles); // rows[i].length === encoder.dim
 *   return rows;
 * }
 * ```
 */
export interface Encoder {
  /** Stable name; embeddings are stored under it. */
  readonly name: string;
  /** Side of the square input the model expects, in pixels. */
  readonly inputSize: number;
  /** Channel means subtracted after scaling pixels to [0, 1]. */
  readonly mean: Rgb3;
  /** Channel standard deviations divided by after subtracting the mean. */
  readonly std: Rgb3;
  /** Length of each feature vector. */
  readonly dim: number;
  /**
   * Identifies the weights and preprocessing (a hash): one name with two
   * fingerprints would mix features of two models in the store, which the
   * embed stage refuses.
   */
  readonly fingerprint: string;
  /** Where the model came from (a path or a description), for messages. */
  readonly source: string;
  /** Resizes and normalises images into the model's input tensor. */
  prepare(batch: readonly RgbImage[]): PreparedBatch;
  /** Runs the model on a prepared batch. */
  infer(batch: PreparedBatch): Promise<Float32Array[]>;
  /** Features of each image, in order. */
  embed(batch: readonly RgbImage[]): Promise<Float32Array[]>;
  /** Releases the model. */
  close(): Promise<void>;
}
