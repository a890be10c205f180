/**
 * Attention stability in TypeScript: per slide and epoch the JS divergence
 * to the previous epoch (to uniform at the first), entropy, effective number
 * of patches, top-k overlap and Spearman correlation with the previous epoch;
 * per run and split the mean JS divergence over the last half of training
 * and the settling epoch. The SQL in `data/stability_sql.ts` computes the same
 * figures; a test holds the two together.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import {
  attentionEntropy,
  type Distribution,
  jsDivergence,
  spearmanRank,
  topkOverlap,
  uniform,
} from "./attention_measures.ts";

/** One slide's attention at one epoch. */
export interface AttentionSnapshot {
  run: string;
  slide: string;
  split: string | null;
  epoch: number;
  scores: Distribution;
}

/** Stability figures of one slide at one epoch. */
export interface SlideEpochStability {
  run: string;
  slide: string;
  split: string | null;
  epoch: number;
  patches: number;
  /** To the previous epoch, to uniform at the first; null when tile counts differ. */
  jsDivergence: number | null;
  entropy: number;
  effectivePatches: number;
  /** Null at the first epoch or when tile counts differ. */
  topkOverlap: number | null;
  /** Null at the first epoch or when tile counts differ; NaN when a side is constant. */
  spearman: number | null;
}

/** Default k of the top-k overlap. */
export const DEFAULT_TOPK = 10;
/** Default JS-divergence threshold of the settling epoch (nats). */
export const DEFAULT_SETTLING_THRESHOLD = 0.01;

/**
 * Stability figures of each snapshot against the same slide's previous
 * epoch. Snapshots may come in any order and mix slides and runs.
 *
 * @example
 * ```ts
 * import { slideStability } from "./stability.ts";
 * const rows = slideStability([
 *   { run: "r", slide: "s", split: "val", epoch: 0, scores: [0.5, 0.5] },
 *   { run: "r", slide: "s", split: "val", epoch: 1, scores: [0.9, 0.1] },
 * ]);
 * if (rows[0]!.jsDivergence !== 0 || !(rows[1]!.jsDivergence! > 0)) throw new Error();
 * ```
 */
export function slideStability(
  snapshots: readonly AttentionSnapshot[],
  k: number = DEFAULT_TOPK,
): SlideEpochStability[] {
  const sorted = [...snapshots].sort((a, b) =>
    a.run.localeCompare(b.run) || a.slide.localeCompare(b.slide) ||
    a.epoch - b.epoch
  );
  return sorted.map((s, i) => {
    const before = sorted[i - 1];
    const previous = before?.run === s.run && before.slide === s.slide
      ? before.scores
      : undefined;
    const comparable = previous === undefined ||
      previous.length === s.scores.length;
    const entropy = attentionEntropy(s.scores);
    return {
      run: s.run,
      slide: s.slide,
      split: s.split,
      epoch: s.epoch,
      patches: s.scores.length,
      jsDivergence: comparable
        ? jsDivergence(previous ?? uniform(s.scores.length), s.scores)
        : null,
      entropy,
      effectivePatches: Math.exp(entropy),
      topkOverlap: previous && comparable
        ? topkOverlap(previous, s.scores, k)
        : null,
      spearman: previous && comparable
        ? spearmanRank(previous, s.scores)
        : null,
    };
  });
}

/** Stability of a run over one split's slides (`split` "all": every slide). */
export interface RunStability {
  run: string;
  split: string;
  epochs: number;
  slides: number;
  /** Mean over the last half of the epochs of the per-epoch mean JS divergence. */
  meanJsLastHalf: number;
  /**
   * Mean over the last half of the epochs of the per-epoch mean top-k overlap
   * with the previous epoch (NaN when no epoch has one).
   */
  meanTopkLastHalf: number;
  /** First epoch from which the mean JS divergence stays below the threshold; null if never. */
  settlingEpoch: number | null;
  threshold: number;
  /** Mean entropy and effective patches at the last epoch. */
  finalEntropy: number;
  finalEffectivePatches: number;
  /** Per epoch, in order: mean JS divergence over the split's slides. */
  meanJsByEpoch: { epoch: number; meanJs: number }[];
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Indices of the last half of `n` ordered items (positions > ⌊n/2⌋, 1-based). */
export function lastHalf<T>(items: readonly T[]): T[] {
  return items.slice(Math.floor(items.length / 2));
}

/**
 * Summarises per-slide figures into one row per run and split plus a row
 * with split `"all"`. Epochs are averaged over the slides present at them;
 * null JS divergences are left out.
 *
 * @example
 * ```ts
 * import { runStability, slideStability } from "./stability.ts";
 * const rows = slideStability([0, 1, 2, 3].map((epoch) => ({
 *   run: "r", slide: "s", split: "val", epoch,
 *   scores: epoch < 2 ? [0.9, 0.1] : [0.5, 0.5],
 * })));
 * const [all] = runStability(rows, 0.01);
 * if (all!.split !== "all" || all!.settlingEpoch !== 3) throw new Error();
 * ```
 */
export function runStability(
  rows: readonly SlideEpochStability[],
  threshold: number = DEFAULT_SETTLING_THRESHOLD,
): RunStability[] {
  const groups = new Map<string, SlideEpochStability[]>();
  for (const row of rows) {
    for (const split of ["all", row.split ?? "none"]) {
      const key = JSON.stringify([row.run, split]);
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
  }
  const out: RunStability[] = [];
  for (const [key, group] of groups) {
    const [run, split] = JSON.parse(key) as [string, string];
    const byEpoch = new Map<number, SlideEpochStability[]>();
    for (const r of group) {
      byEpoch.set(r.epoch, [...(byEpoch.get(r.epoch) ?? []), r]);
    }
    const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
    const meanJsByEpoch = epochs.map((epoch) => ({
      epoch,
      meanJs: mean(
        byEpoch.get(epoch)!.flatMap((r) =>
          r.jsDivergence === null ? [] : [r.jsDivergence]
        ),
      ),
    }));
    let settlingEpoch: number | null = null;
    for (let i = meanJsByEpoch.length - 1; i >= 0; i--) {
      const m = meanJsByEpoch[i]!;
      if (!(m.meanJs < threshold)) break;
      settlingEpoch = m.epoch;
    }
    const last = byEpoch.get(epochs.at(-1)!)!;
    out.push({
      run,
      split,
      epochs: epochs.length,
      slides: new Set(group.map((r) => r.slide)).size,
      meanJsLastHalf: mean(lastHalf(meanJsByEpoch).map((m) => m.meanJs)),
      meanTopkLastHalf: mean(
        lastHalf(epochs).flatMap((epoch) => {
          const overlaps = byEpoch.get(epoch)!.flatMap((r) =>
            r.topkOverlap === null ? [] : [r.topkOverlap]
          );
          return overlaps.length === 0 ? [] : [mean(overlaps)];
        }),
      ),
      settlingEpoch,
      threshold,
      finalEntropy: mean(last.map((r) => r.entropy)),
      finalEffectivePatches: mean(last.map((r) => r.effectivePatches)),
      meanJsByEpoch,
    });
  }
  return out.sort((a, b) =>
    a.run.localeCompare(b.run) ||
    (a.split === "all"
      ? -1
      : b.split === "all"
      ? 1
      : a.split.localeCompare(b.split))
  );
}

/** One slide's stability over a run, for picking slides to show. */
export interface SlideSummary {
  run: string;
  slide: string;
  split: string | null;
  /** Mean JS divergence over the last half of the slide's epochs. */
  meanJsLastHalf: number;
  finalEntropy: number;
}

/**
 * Per-slide summary: mean JS divergence over the last half of the slide's
 * epochs, and its entropy at the last one; most stable slide first.
 */
export function slideSummaries(
  rows: readonly SlideEpochStability[],
): SlideSummary[] {
  const bySlide = new Map<string, SlideEpochStability[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.run, r.slide]);
    bySlide.set(key, [...(bySlide.get(key) ?? []), r]);
  }
  return [...bySlide.values()].map((series) => {
    series.sort((a, b) => a.epoch - b.epoch);
    const last = series.at(-1)!;
    return {
      run: last.run,
      slide: last.slide,
      split: last.split,
      meanJsLastHalf: mean(
        lastHalf(series).flatMap((r) =>
          r.jsDivergence === null ? [] : [r.jsDivergence]
        ),
      ),
      finalEntropy: last.entropy,
    };
  }).sort((a, b) => a.meanJsLastHalf - b.meanJsLastHalf);
}

/**
 * Reads a run's attention snapshots from the store (optionally one split's)
 * and computes {@link slideStability} over them.
 *
 * @example
 * ```ts ignore
 * const rows = await loadSlideStability(store, "run-1", { k: 10 });
 * ```
 */
export async function loadSlideStability(
  store: Store,
  run: string,
  options: { k?: number; split?: string } = {},
): Promise<SlideEpochStability[]> {
  const snapshots = await store.attentionSnapshots(
    run,
    options.split === undefined ? {} : { split: options.split },
  );
  return slideStability(
    snapshots.map((s) => ({ ...s, run })),
    options.k ?? DEFAULT_TOPK,
  );
}
