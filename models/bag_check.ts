/**
 * Validation of a bag of instance features before a model sees it: shape
 * `[N, D]` with the model's D, at least one instance, every value finite.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Throws when `features` is not a float32 `[N, inputDim]` tensor with N ≥ 1
 * and only finite values. The message states the expected and seen shape,
 * or the row and column of the first NaN/Inf; `where` (e.g. `slide "a7"`)
 * prefixes it.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { checkBag } from "./bag_check.ts";
 * checkBag(tf.ones([3, 4]), 4);
 * try {
 *   checkBag(tf.ones([3, 5]), 4, 'slide "a7"');
 * } catch (e) {
 *   // slide "a7": bag features must be [N, 4] with N ≥ 1: got [3,5]
 * }
 * ```
 */
export function checkBag(
  features: tf.Tensor,
  inputDim: number,
  where?: string,
): void {
  const prefix = where === undefined ? "" : `${where}: `;
  const shape = features.shape;
  if (shape.length !== 2 || shape[1] !== inputDim || (shape[0] ?? 0) < 1) {
    throw new RangeError(
      `${prefix}bag features must be [N, ${inputDim}] with N ≥ 1: got [${shape}]`,
    );
  }
  if (features.dtype !== "float32") {
    throw new TypeError(
      `${prefix}bag features must be float32: got ${features.dtype}`,
    );
  }
  if (verified.has(features)) return;
  // A sum is finite unless some value is NaN/±Inf or the finite values
  // overflow; only then are the values scanned, to name the culprit.
  const probe = tf.tidy(() => tf.sum(features));
  const finite = Number.isFinite(probe.dataSync()[0]);
  probe.dispose();
  if (finite) {
    remember(features);
    return;
  }
  const values = features.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / inputDim), col = i % inputDim;
      throw new RangeError(
        `${prefix}bag features must be finite: found ${v} at instance ${row}, feature ${col} of [${shape}]`,
      );
    }
  }
  remember(features); // finite values whose sum overflows
}

/**
 * Bags already found finite. Tensors are immutable, so a bag reused across
 * steps or epochs is scanned once; variables can change and are not kept.
 */
const verified = new WeakSet<tf.Tensor>();

function remember(features: tf.Tensor): void {
  if (!(features instanceof tf.Variable)) verified.add(features);
}
