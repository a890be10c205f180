/**
 * Option checks and derived defaults shared by the token/branch models.
 *
 * @module
 */

/**
 * Throws unless `value` is an integer in `[min, max]`, naming the model and
 * option.
 *
 * @example
 * ```ts
 * import { checkIntegerOption } from "./options.ts";
 * checkIntegerOption("ASMIL", "nToken", 4, 1);
 * ```
 */
export function checkIntegerOption(
  model: string,
  key: string,
  value: unknown,
  min: number,
  max = Infinity,
): void {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(
      `${model} option ${key} must be an integer ${range}: current value is ${value}`,
    );
  }
}

/**
 * The default D_inner for features of dimension `inputDim`: about D/2, as
 * in the reference pairs (512→256, 1024→512, 1536→768), rounded up to a
 * multiple of `heads` and at least 4·heads so each head has ≥ 4 dims.
 *
 * @example
 * ```ts
 * import { defaultInnerDim } from "./options.ts";
 * if (defaultInnerDim(1024, 8) !== 512 || defaultInnerDim(32, 8) !== 32) throw new Error();
 * ```
 */
export function defaultInnerDim(inputDim: number, heads: number): number {
  const half = Math.ceil(inputDim / 2 / heads) * heads;
  return Math.max(half, 4 * heads);
}
