/**
 * A small seeded pseudo-random generator (SplitMix32 state, xorshift output)
 * shared by splits, initialisation and sampling, so one seed fixes a run.
 *
 * @module
 */

/**
 * Deterministic random numbers from a 32-bit seed.
 *
 * @example
 * ```ts
 * import { Rng } from "./random.ts";
 * const a = new Rng(7), b = new Rng(7);
 * if (a.next() !== b.next()) throw new Error("same seed, same stream");
 * ```
 */
export class Rng {
  #state: number;

  /** Creates a generator; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(
        `Cannot construct Rng as seed must be a finite number: current value is ${seed}`,
      );
    }
    this.#state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** The generator's state, to save and restore (e.g. in a checkpoint). */
  get state(): number {
    return this.#state;
  }

  set state(value: number) {
    this.#state = value >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /**
   * Fills `out` with the values `nextUint32()` would return, in order, and
   * advances the state as far: the same stream, several times faster for
   * large arrays (dropout masks).
   *
   * @example
   * ```ts
   * import { Rng } from "./random.ts";
   * const a = new Rng(3), b = new Rng(3);
   * const bulk = a.fillUint32(new Uint32Array(4));
   * if (bulk.some((v) => v !== b.nextUint32())) throw new Error();
   * ```
   */
  fillUint32(out: Uint32Array): Uint32Array {
    let state = this.#state;
    for (let i = 0; i < out.length; i++) {
      state = (state + 0x9e3779b9) >>> 0;
      let z = Math.imul(state ^ (state >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      out[i] = z ^ (z >>> 16);
    }
    this.#state = state;
    return out;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(
        `Rng.int() expects a positive integer bound: current value is ${n}`,
      );
    }
    return Math.floor(this.next() * n);
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal sample (Box–Muller). */
  normal(mean = 0, std = 1): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
    return items;
  }

  /** A new generator whose stream is derived from this one (for sub-tasks). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** A seed for libraries that take their own (e.g. tfjs dropout). */
  seed(): number {
    return this.nextUint32();
  }
}
