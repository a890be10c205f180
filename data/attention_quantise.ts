/**
 * The 16-bit form attention history is stored in: each row of values as
 * `q = round(value / scale)` with one `scale = max / 65535` shared by the
 * rows given together (one distribution, or all heads of one slide), so a
 * value comes back as `q · scale` within `scale / 2`.
 *
 * @module
 */

/** Rows quantised with a shared scale. */
export interface QuantisedRows {
  scale: number;
  rows: Uint16Array[];
}

const LEVELS = 65535;

/**
 * Quantises `rows` (non-negative values) with one scale.
 *
 * @example
 * ```ts
 * import { quantiseAttention } from "./attention_quantise.ts";
 * const { scale, rows } = quantiseAttention([[0.25, 0.5, 0.25]]);
 * if (rows[0]![1] !== 65535 || Math.abs(rows[0]![0]! * scale - 0.25) > 1e-5) {
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
  const scale = max > 0 ? max / LEVELS : 1;
  return {
    scale,
    rows: rows.map((row) =>
      Uint16Array.from(row as ArrayLike<number>, (v) => Math.round(v / scale))
    ),
  };
}

/**
 * `values` as the store gives them back after quantising: each
 * `q · scale` in float32, as the `attention` view computes it. The trainer
 * compares epochs on these, so a resumed run (which reads the previous
 * epoch back from the store) computes the same JS divergences as an
 * uninterrupted one.
 *
 * @example
 * ```ts
 * import { storedAttention } from "./attention_quantise.ts";
 * const back = storedAttention(new Float32Array([0.25, 0.5, 0.25]));
 * if (back[1] !== 0.5 || Math.abs(back[0]! - 0.25) > 1e-5) throw new Error();
 * ```
 */
export function storedAttention(values: Float32Array): Float32Array {
  const { scale, rows } = quantiseAttention([values]);
  const s = Math.fround(scale);
  return Float32Array.from(rows[0]!, (q) => q * s);
}
