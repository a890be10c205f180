/**
 * The 16-bit form attention history is stored in. Values are kept on a
 * logarithmic scale relative to the largest value of the rows given
 * together (one distribution, or all heads of one slide):
 *
 *   q = 65535 + round(2048 · log₂(value / max)),  q = 0 for 0 (and for
 *   values below 2⁻³² · max),  value = max · 2^((q − 65535) / 2048).
 *
 * 2,048 steps per octave keep every value within 1.7e-4 of itself,
 * relative, over 32 octaves below the maximum, so the long tail of a focal
 * distribution (10,000 tiles, most of them 1e-6 of the mass) keeps its
 * share of entropy and JS divergence; a linear 16-bit scale would round it
 * to zero. Two bytes per tile and epoch.
 *
 * @module
 */

/** Rows quantised against a shared maximum. */
export interface QuantisedRows {
  /** The largest value of the rows (the value of q = 65535). */
  scale: number;
  rows: Uint16Array[];
}

/** q of the maximum. */
export const TOP_LEVEL = 65535;
/** Levels per halving of the value. */
export const STEPS_PER_OCTAVE = 2048;

/**
 * Quantises `rows` (finite, non-negative values) against their maximum.
 *
 * @example
 * ```ts
 * import { dequantise, quantiseAttention } from "./attention_quantise.ts";
 * const { scale, rows } = quantiseAttention([[0.25, 0.5, 0.25]]);
 * if (rows[0]![1] !== 65535 || dequantise(rows[0]![0]!, scale) !== 0.25) {
 *   throw new Error("not quantised");
 * }
 * ```
 */
export function quantiseAttention(
  rows: readonly (Float32Array | readonly number[])[],
): QuantisedRows {
  let max = 0;
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new RangeError(
          `Attention values must be finite and non-negative: got ${v} at index ${i}`,
        );
      }
      if (v > max) max = v;
    }
  }
  const scale = Math.fround(max > 0 ? max : 1);
  return {
    scale,
    rows: rows.map((row) =>
      Uint16Array.from(row as ArrayLike<number>, (v) => {
        if (v <= 0) return 0;
        const q = TOP_LEVEL +
          Math.round(STEPS_PER_OCTAVE * Math.log2(v / scale));
        return Math.min(TOP_LEVEL, Math.max(0, q));
      })
    ),
  };
}

/** The value of level `q` of rows with maximum `scale`. */
export function dequantise(q: number, scale: number): number {
  return q === 0 ? 0 : scale * 2 ** ((q - TOP_LEVEL) / STEPS_PER_OCTAVE);
}

/** A stored row back as float32 values. */
export function dequantiseRow(
  q: ArrayLike<number>,
  scale: number,
): Float32Array {
  return Float32Array.from(q, (x) => dequantise(x, scale));
}

/**
 * `values` as the store keeps them: quantised, then back to float32. The
 * trainer compares epochs on these, and a resumed run decodes the stored
 * levels the same way, so both compute the same JS divergences.
 *
 * @example
 * ```ts
 * import { storedAttention } from "./attention_quantise.ts";
 * const back = storedAttention(new Float32Array([0.2, 0.5, 0.3]));
 * if (back[1] !== 0.5 || Math.abs(back[0]! - 0.2) > 1e-4) throw new Error();
 * ```
 */
export function storedAttention(values: Float32Array): Float32Array {
  const { scale, rows } = quantiseAttention([values]);
  return dequantiseRow(rows[0]!, scale);
}
