/**
 * Measures of one attention distribution, or of two successive ones: the
 * quantities the stability analysis is built from. They mirror the SQL
 * macros (`js_divergence`, `attention_entropy`, `effective_patches`,
 * `topk_overlap`, `spearman_rank`) value for value, natural logs with
 * `eps` = 1e-8 inside them as in the ASMIL paper.
 *
 * @module
 */

import { binaryAuc } from "./metrics.ts";

/** An attention distribution over a slide's tiles, in tile order. */
export type Distribution = readonly number[] | Float32Array;

const EPS = 1e-8;

function checkLengths(
  name: string,
  p: { length: number },
  q: { length: number },
): void {
  if (p.length !== q.length) {
    throw new RangeError(
      `${name}() needs distributions over the same tiles: lengths are ${p.length} and ${q.length}`,
    );
  }
}

/**
 * Jensen–Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, in nats
 * (at most ln 2).
 *
 * @example
 * ```ts
 * import { jsDivergence } from "./attention_measures.ts";
 * if (jsDivergence([0.2, 0.8], [0.2, 0.8]) !== 0) throw new Error();
 * ```
 */
export function jsDivergence(p: Distribution, q: Distribution): number {
  checkLengths("jsDivergence", p, q);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!, b = q[i]!;
    const m = Math.log((a + b) / 2 + EPS);
    sum += a * (Math.log(a + EPS) - m) + b * (Math.log(b + EPS) - m);
  }
  return sum / 2;
}

/** The uniform distribution over `n` tiles. */
export function uniform(n: number): number[] {
  return new Array<number>(n).fill(1 / n);
}

/**
 * Shannon entropy −Σ p log(p + eps) in nats.
 *
 * @example
 * ```ts
 * import { attentionEntropy } from "./attention_measures.ts";
 * if (Math.abs(attentionEntropy([0.5, 0.5]) - Math.LN2) > 1e-7) throw new Error();
 * ```
 */
export function attentionEntropy(p: Distribution): number {
  let sum = 0;
  for (const x of p) sum -= x * Math.log(x + EPS);
  return sum;
}

/** Effective number of patches exp(H(p)): n for uniform, 1 for one-hot. */
export function effectivePatches(p: Distribution): number {
  return Math.exp(attentionEntropy(p));
}

/**
 * 0-based indices of the `k` largest entries, largest first; ties go to the
 * later index (as the SQL macro `topk_indices` orders them).
 *
 * @example
 * ```ts
 * import { topkIndices } from "./attention_measures.ts";
 * if (topkIndices([0.1, 0.5, 0.4], 2).join() !== "1,2") throw new Error();
 * ```
 */
export function topkIndices(p: Distribution, k: number): number[] {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(
      `topkIndices() needs k to be a positive integer: current value is ${k}`,
    );
  }
  return Array.from(p, (_, i) => i)
    .sort((a, b) => p[b]! - p[a]! || b - a)
    .slice(0, k);
}

/**
 * Share of the top-k tiles two distributions have in common:
 * |top-k(p) ∩ top-k(q)| / min(k, n).
 *
 * @example
 * ```ts
 * import { topkOverlap } from "./attention_measures.ts";
 * if (topkOverlap([0.3, 0.1, 0.1, 0.5], [0.1, 0.3, 0.1, 0.5], 2) !== 0.5) throw new Error();
 * ```
 */
export function topkOverlap(
  p: Distribution,
  q: Distribution,
  k: number,
): number {
  checkLengths("topkOverlap", p, q);
  const top = new Set(topkIndices(p, k));
  const shared = topkIndices(q, k).filter((i) => top.has(i)).length;
  return shared / Math.min(k, p.length);
}

/**
 * Ranks 1…n with tied values given the mean of the ranks they span.
 *
 * @example
 * ```ts
 * import { averageRanks } from "./attention_measures.ts";
 * if (averageRanks([0.1, 0.3, 0.3, 0.9]).join() !== "1,2.5,2.5,4") throw new Error();
 * ```
 */
export function averageRanks(p: Distribution): number[] {
  const order = Array.from(p, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const ranks = new Array<number>(p.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1]!] === p[order[i]!]) j++;
    for (let t = i; t <= j; t++) ranks[order[t]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman rank correlation (Pearson correlation of average ranks). NaN
 * when either distribution is constant, e.g. uniform.
 *
 * @example
 * ```ts
 * import { spearmanRank } from "./attention_measures.ts";
 * if (Math.abs(spearmanRank([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) > 1e-12) throw new Error();
 * ```
 */
export function spearmanRank(p: Distribution, q: Distribution): number {
  checkLengths("spearmanRank", p, q);
  const a = averageRanks(p), b = averageRanks(q);
  const mean = (p.length + 1) / 2;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - mean, y = b[i]! - mean;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN;
}

/**
 * How well attention singles out tumour tiles: the ROC AUC of the attention
 * scores against tile labels (label > 0 is tumour). Tiles whose label is
 * null are left out; NaN unless both kinds of tile remain.
 *
 * @example
 * ```ts
 * import { localisationAuc } from "./attention_measures.ts";
 * if (localisationAuc([0.1, 0.2, 0.7], [0, null, 1]) !== 1) throw new Error();
 * ```
 */
export function localisationAuc(
  scores: Distribution,
  labels: readonly (number | null)[],
): number {
  checkLengths("localisationAuc", scores, labels);
  const s: number[] = [], y: number[] = [];
  labels.forEach((label, i) => {
    if (label === null) return;
    s.push(scores[i]!);
    y.push(label > 0 ? 1 : 0);
  });
  return binaryAuc(s, y);
}
