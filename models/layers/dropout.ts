/**
 * Inverted dropout whose mask comes from the caller's seeded `Rng`, so a
 * training run is reproducible from its seed (tfjs's own dropout draws from
 * its global generator).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardOptions } from "../mil_model.ts";
import { requireRng } from "./require_rng.ts";

/**
 * Zeroes each entry with probability `rate` and scales the rest by
 * 1/(1−rate) in training; the identity in evaluation.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { dropout } from "./dropout.ts";
 * import { Rng } from "../../pipeline/random.ts";
 * const x = tf.ones([2, 3]);
 * const same = dropout(x, 0.5, { training: false });
 * const dropped = dropout(x, 0.5, { training: true, rng: new Rng(1) });
 * if (same !== x || dropped.shape.join() !== "2,3") throw new Error("dropout");
 * ```
 */
export function dropout<T extends tf.Tensor>(
  x: T,
  rate: number,
  options: ForwardOptions,
): T {
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(
      `dropout() expects a rate in [0, 1): current value is ${rate}`,
    );
  }
  if (!options.training || rate === 0) return x;
  const rng = requireRng(options, "dropout");
  const mask = new Float32Array(x.size);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < mask.length; i++) {
    mask[i] = rng.next() < rate ? 0 : scale;
  }
  return tf.mul(x, tf.tensor(mask, x.shape)) as T;
}
