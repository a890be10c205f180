/**
 * ASMIL's token random dropping: in training, `nDrop` of the `nToken`
 * token features are left out of the slide aggregation; evaluation keeps
 * them all.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardOptions } from "../mil_model.ts";
import { requireRng } from "./require_rng.ts";

/**
 * Indices (ascending) of the tokens kept for this pass, or `null` when all
 * are kept (evaluation, or `nDrop` 0). Draws from `options.rng` in training.
 *
 * @example
 * ```ts
 * import { keptTokens } from "./token_dropping.ts";
 * import { Rng } from "../../core/random.ts";
 * if (keptTokens(4, 2, { training: false }) !== null) throw new Error("eval keeps all");
 * const kept = keptTokens(4, 2, { training: true, rng: new Rng(1) });
 * if (kept?.size !== 2) throw new Error("two of four kept");
 * kept.dispose();
 * ```
 */
export function keptTokens(
  nToken: number,
  nDrop: number,
  options: ForwardOptions,
): tf.Tensor1D | null {
  if (!Number.isInteger(nDrop) || nDrop < 0 || nDrop >= nToken) {
    throw new RangeError(
      `Token dropping expects an integer nDrop in [0, ${
        nToken - 1
      }] for ${nToken} tokens: current value is ${nDrop}`,
    );
  }
  if (!options.training || nDrop === 0) return null;
  const rng = requireRng(options, "token dropping");
  const order = rng.shuffle(Array.from({ length: nToken }, (_, i) => i));
  const kept = order.slice(nDrop).sort((a, b) => a - b);
  return tf.tensor1d(kept, "int32");
}
