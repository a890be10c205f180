/**
 * For tests and benchmarks: seeded images of uniform random RGB noise.
 *
 * @module
 */
import { Rng } from "../core/random.ts";
import type { RgbImage } from "../stages/embed/encoder.ts";

/**
 * `count` square images of side `size`, each byte drawn uniformly from the
 * generator seeded with `seed`.
 *
 * @example
 * ```ts
 * import { randomImages } from "./random_images.ts";
 * const [a] = randomImages(1, 4, 5);
 * if (a?.rgb.length !== 4 * 4 * 3) throw new Error();
 * ```
 */
export function randomImages(
  count: number,
  size: number,
  seed: number,
): RgbImage[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => ({
    width: size,
    height: size,
    rgb: Uint8Array.from(
      { length: size * size * 3 },
      () => Math.floor(rng.next() * 256),
    ),
  }));
}
