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
import type { Rng } from "../../core/random.ts";

/**
 * Zeroes each entry with probability `rate` and scales the rest by
 * 1/(1−rate) in training; the identity in evaluation.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { dropout } from "./dropout.ts";
 * import { Rng } from "../../core/random.ts";
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
  const mask = dropoutMaskValues(x.size, rate, rng);
  return tf.mul(x, tf.tensor(mask, x.shape)) as T;
}

/** Random numbers drawn per chunk of a mask. */
const CHUNK = 1 << 16;

/**
 * An inverted-dropout mask of `size` entries: 0 where `rng.next() < rate`
 * (the same draws, in order, as one `next()` per entry), else 1/(1 − rate).
 *
 * @example
 * ```ts
 * import { dropoutMaskValues } from "./dropout.ts";
 * import { Rng } from "../../core/random.ts";
 * const m = dropoutMaskValues(1000, 0.5, new Rng(1));
 * if (!m.every((v) => v === 0 || v === 2)) throw new Error();
 * ```
 */
export function dropoutMaskValues(
  size: number,
  rate: number,
  rng: Rng,
): Float32Array {
  const mask = new Float32Array(size);
  const scale = 1 / (1 - rate);
  // next() is u / 2³², so next() < rate exactly when u < rate · 2³².
  const threshold = rate * 4294967296;
  const draws = new Uint32Array(Math.min(CHUNK, size));
  for (let start = 0; start < size; start += CHUNK) {
    const n = Math.min(CHUNK, size - start);
    const u = rng.fillUint32(n === draws.length ? draws : draws.subarray(0, n));
    for (let i = 0; i < n; i++) {
      mask[start + i] = u[i]! < threshold ? 0 : scale;
    }
  }
  return mask;
}
