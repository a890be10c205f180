/**
 * ACMIL's stochastic top-k instance masking (STKIM): in training, per
 * attention branch, `floor(k · maskFraction)` of the k highest-scoring
 * instances (k capped at N) are chosen at random and masked out of the
 * softmax, so no branch can rely on a handful of patches.
 *
 * @module
 */
import type { Rng } from "../../core/random.ts";

/** Score given to masked instances: exp(−1e9 − max) underflows to exactly 0. */
export const STKIM_MASKED_SCORE = -1e9;

/**
 * Which entries of row-major `scores [rows, n]` to mask: a 0/1 array of the
 * same layout (1 = masked). Exactly `floor(min(k, n) · maskFraction)` entries
 * per row, all among that row's top `min(k, n)` scores.
 *
 * @example
 * ```ts
 * import { stkimMask } from "./stkim.ts";
 * import { Rng } from "../../core/random.ts";
 * const mask = stkimMask(new Float32Array([5, 1, 4, 0, 3]), 1, 5, 3, 0.6, new Rng(1));
 * // one of the top-3 entries (indices 0, 2, 4) is masked
 * if (mask[1] || mask[3] || mask.reduce((a, b) => a + b, 0) !== 1) throw new Error();
 * ```
 */
export function stkimMask(
  scores: Float32Array,
  rows: number,
  n: number,
  k: number,
  maskFraction: number,
  rng: Rng,
): Uint8Array {
  if (scores.length !== rows * n) {
    throw new RangeError(
      `stkimMask() expects ${rows}×${n} = ${
        rows * n
      } scores: got ${scores.length}`,
    );
  }
  if (
    !Number.isInteger(k) || k < 0 || !(maskFraction >= 0 && maskFraction <= 1)
  ) {
    throw new RangeError(
      `stkimMask() expects an integer k ≥ 0 and a mask fraction in [0, 1]: got k ${k}, fraction ${maskFraction}`,
    );
  }
  const top = Math.min(k, n);
  const masked = Math.floor(top * maskFraction);
  const mask = new Uint8Array(rows * n);
  if (masked === 0) return mask;
  for (let r = 0; r < rows; r++) {
    const chosen = rng.shuffle(topIndices(scores, r * n, n, top))
      .slice(0, masked);
    for (const i of chosen) mask[r * n + i] = 1;
  }
  return mask;
}

/** Indices of the `k` largest of `scores[offset … offset+n)`, in O(n·k). */
function topIndices(
  scores: Float32Array,
  offset: number,
  n: number,
  k: number,
): number[] {
  const best: number[] = []; // indices, scores descending
  for (let i = 0; i < n; i++) {
    const s = scores[offset + i] as number;
    if (
      best.length === k &&
      s <= (scores[offset + (best[k - 1] as number)] as number)
    ) {
      continue;
    }
    let at = best.length;
    while (
      at > 0 && (scores[offset + (best[at - 1] as number)] as number) < s
    ) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
