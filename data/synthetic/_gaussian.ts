/**
 * Bulk Gaussian and Dirichlet draws for the feature cohort, from the
 * project's {@link Rng}.
 *
 * @module
 */
import { Rng } from "../../core/random.ts";

const CHUNK = 4096;
const TWO_POW_32 = 4294967296;

/**
 * Two {@link Rng} streams that together give standard normals in bulk.
 *
 * One `Rng` cycles through 2³² states, and a 16 GB cohort draws about that
 * many numbers, so features from one stream would repeat across slides.
 * Box–Muller here takes its radius from one stream and its angle from the
 * other, two streams at unrelated positions of the cycle, so a pair only
 * recurs when both positions do.
 *
 * @example
 * ```ts
 * import { NormalSource } from "./_gaussian.ts";
 * const a = new NormalSource(5).fill(new Float32Array(8));
 * const b = new NormalSource(5).fill(new Float32Array(8));
 * if (a.some((v, i) => v !== b[i])) throw new Error("same seed, same draws");
 * ```
 */
export class NormalSource {
  readonly #radius: Rng;
  readonly #angle: Rng;
  readonly #u = new Uint32Array(CHUNK);
  readonly #v = new Uint32Array(CHUNK);

  /** Both streams are derived from `seed`. */
  constructor(seed: number) {
    const root = new Rng(seed);
    this.#radius = root.fork();
    this.#angle = root.fork();
  }

  /** Fills `out` with normals of mean 0 and standard deviation `std`. */
  fill(out: Float32Array, std = 1): Float32Array {
    for (let start = 0; start < out.length; start += 2 * CHUNK) {
      const pairs = Math.min(CHUNK, Math.ceil((out.length - start) / 2));
      const u = this.#radius.fillUint32(this.#u.subarray(0, pairs));
      const v = this.#angle.fillUint32(this.#v.subarray(0, pairs));
      for (let p = 0; p < pairs; p++) {
        // u + 1 ∈ [1, 2³²] keeps the logarithm finite.
        const r = std * Math.sqrt(-2 * Math.log((u[p]! + 1) / TWO_POW_32));
        const theta = (2 * Math.PI * v[p]!) / TWO_POW_32;
        const at = start + 2 * p;
        out[at] = r * Math.cos(theta);
        if (at + 1 < out.length) out[at + 1] = r * Math.sin(theta);
      }
    }
    return out;
  }
}

/** A Gamma(shape, 1) draw (Marsaglia–Tsang; shape < 1 by boosting). */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    return gamma(rng, shape + 1) * u ** (1 / shape);
  }
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A draw from the symmetric Dirichlet(α, …, α) over `k` categories. */
export function dirichlet(rng: Rng, k: number, alpha: number): Float64Array {
  const w = Float64Array.from({ length: k }, () => gamma(rng, alpha));
  const total = w.reduce((s, x) => s + x, 0);
  return total > 0 ? w.map((x) => x / total) : w.fill(1 / k);
}

/** An index drawn with probabilities `weights` (summing to 1). */
export function categorical(rng: Rng, weights: ArrayLike<number>): number {
  let u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
