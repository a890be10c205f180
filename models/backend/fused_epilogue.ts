/**
 * The bias + activation part of `_FusedMatMul`, applied in place to the
 * product, for every activation `tf.fused.matMul` accepts.
 *
 * @module
 */

/** Activation attributes of `_FusedMatMul`. */
export interface FusedEpilogue {
  activation?: string;
  leakyreluAlpha?: number;
}

/** A dense tensor as shape + values (e.g. a wasm heap view). */
export interface DenseView {
  shape: readonly number[];
  values: Float32Array;
}

/** Activations `tf.fused.matMul` accepts (tfjs 4.22). */
export const FUSED_ACTIVATIONS = [
  "linear",
  "relu",
  "relu6",
  "elu",
  "leakyrelu",
  "prelu",
  "sigmoid",
] as const;

/**
 * For a tensor broadcast to `outShape`, the index into its values of every
 * output element; throws with both shapes when it does not broadcast.
 *
 * @example
 * ```ts
 * import { broadcastIndex } from "./fused_epilogue.ts";
 * const at = broadcastIndex("bias", [3], [2, 3]);
 * if (at(4) !== 1) throw new Error("row 1, column 1 reads bias[1]");
 * ```
 */
export function broadcastIndex(
  what: string,
  shape: readonly number[],
  outShape: readonly number[],
): (i: number) => number {
  const size = shape.reduce((p, d) => p * d, 1);
  if (size === 1) return () => 0;
  const total = outShape.reduce((p, d) => p * d, 1);
  if (size === total) return (i) => i;
  const rank = outShape.length;
  if (shape.length > rank) {
    throw new Error(
      `${what} of shape [${shape}] does not broadcast to the product's shape [${outShape}]`,
    );
  }
  const strides: number[] = new Array(rank).fill(0);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = shape[i - rank + shape.length] ?? 1;
    const o = outShape[i] as number;
    if (d !== o && d !== 1) {
      throw new Error(
        `${what} of shape [${shape}] does not broadcast to the product's shape [${outShape}]`,
      );
    }
    strides[i] = d === 1 ? 0 : stride;
    stride *= d;
  }
  const last = outShape[rank - 1] as number;
  if (size === last && strides[rank - 1] === 1) return (i) => i % last;
  return (i) => {
    let rest = i, index = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const o = outShape[d] as number;
      const idx = rest % o;
      rest = (rest - idx) / o;
      index += idx * (strides[d] as number);
    }
    return index;
  };
}

/** Adds `bias` broadcast to `outShape`; rows of a per-column bias go fast. */
function addBias(
  out: Float32Array,
  outShape: readonly number[],
  bias: DenseView,
): void {
  const values = bias.values, total = out.length;
  const columns = outShape[outShape.length - 1] ?? 1;
  const perColumn = values.length === columns &&
    bias.shape[bias.shape.length - 1] === columns;
  if (perColumn && columns > 1) {
    for (let row = 0; row < total; row += columns) {
      for (let j = 0; j < columns; j++) {
        out[row + j] = out[row + j]! + values[j]!;
      }
    }
    return;
  }
  const at = broadcastIndex("Fused matMul bias", bias.shape, outShape);
  for (let i = 0; i < total; i++) out[i] = out[i]! + values[at(i)]!;
}

/**
 * Adds `bias` and applies the activation to `out` (shape `outShape`) in
 * place; throws naming the activation when it is not one of
 * {@link FUSED_ACTIVATIONS}.
 *
 * @example
 * ```ts
 * import { applyFusedEpilogue } from "./fused_epilogue.ts";
 * const out = new Float32Array([-1, 2]);
 * applyFusedEpilogue(out, [1, 2], { shape: [2], values: new Float32Array([0, 1]) }, { activation: "relu" });
 * if (out[0] !== 0 || out[1] !== 3) throw new Error("bias then relu");
 * ```
 */
export function applyFusedEpilogue(
  out: Float32Array,
  outShape: readonly number[],
  bias: DenseView | undefined,
  attrs: FusedEpilogue,
  prelu?: DenseView,
): void {
  const total = out.length;
  if (bias !== undefined) {
    addBias(out, outShape, bias);
  }
  const activation = attrs.activation ?? "linear";
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < total; i++) if (!(out[i]! > 0)) out[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < total; i++) {
        out[i] = Math.min(Math.max(out[i]!, 0), 6);
      }
      return;
    case "elu":
      for (let i = 0; i < total; i++) {
        const x = out[i]!;
        if (x < 0) out[i] = Math.expm1(x);
      }
      return;
    case "sigmoid":
      for (let i = 0; i < total; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
      return;
    case "leakyrelu": {
      const alpha = attrs.leakyreluAlpha ?? 0.2;
      for (let i = 0; i < total; i++) {
        const x = out[i]!;
        if (x < 0) out[i] = alpha * x;
      }
      return;
    }
    case "prelu": {
      if (prelu === undefined) {
        throw new Error(
          "Fused matMul with prelu activation expects preluActivationWeights: got none",
        );
      }
      const at = broadcastIndex("Prelu weights", prelu.shape, outShape);
      const weights = prelu.values;
      for (let i = 0; i < total; i++) {
        const x = out[i]!;
        if (x < 0) out[i] = weights[at(i)]! * x;
      }
      return;
    }
    default:
      throw new Error(
        `Fused matMul activation must be one of ${
          FUSED_ACTIVATIONS.join(", ")
        }: got "${activation}"`,
      );
  }
}
