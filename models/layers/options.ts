/**
 * Option checks and derived defaults shared by the token/branch models.
 *
 * @module
 */
import type { ModelOptionSpec } from "../registry.ts";

/**
 * The `innerDim` option of the models whose reduction width defaults to
 * {@link defaultInnerDim} with 8 heads (ACMIL, CLAM, DTFD-MIL).
 */
export const INNER_DIM_OPTION: ModelOptionSpec = {
  about: "width after dimension reduction",
  type: "integer",
  min: 1,
  derivedDefault: "≈ inputDim/2 (512 for 1024)",
};

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
 * The released code's D_inner per feature width D_feat (its encoders: ViT-S
 * 384, ResNet18/CLIP-B 512, CLIP-L 768, UNI 1024, GigaPath 1536). Note 384
 * maps to 128, not to half of it.
 */
export const REFERENCE_INNER_DIMS: ReadonlyMap<number, number> = new Map([
  [384, 128],
  [512, 256],
  [768, 384],
  [1024, 512],
  [1536, 768],
]);

/**
 * The default D_inner for features of dimension `inputDim`: the released
 * code's width for the widths it names ({@link REFERENCE_INNER_DIMS}, when
 * `heads` divides it), else about D/2 (the rule behind the other pairs),
 * rounded up to a multiple of `heads` and at least 4·heads so each head has
 * ≥ 4 dims. A model's `innerDim` option overrides it.
 *
 * @example
 * ```ts
 * import { defaultInnerDim } from "./options.ts";
 * if (defaultInnerDim(1024, 8) !== 512 || defaultInnerDim(32, 8) !== 32) throw new Error();
 * if (defaultInnerDim(384, 8) !== 128) throw new Error("the reference's ViT-S width");
 * ```
 */
export function defaultInnerDim(inputDim: number, heads: number): number {
  const reference = REFERENCE_INNER_DIMS.get(inputDim);
  if (reference !== undefined && reference % heads === 0) return reference;
  const half = Math.ceil(inputDim / 2 / heads) * heads;
  return Math.max(half, 4 * heads);
}
