/**
 * Attention localisation: where tiles carry a tumour label (`tiles.label`),
 * how well each epoch's attention ranks tumour tiles above the rest (ROC AUC
 * per slide and epoch). The SQL view `attention_localisation` computes the
 * same figures.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import { localisationAuc } from "./attention_measures.ts";

/** Localisation AUC of one slide's attention at one epoch. */
export interface SlideLocalisation {
  run: string;
  epoch: number;
  slide: string;
  split: string | null;
  /** Labelled tumour tiles and labelled other tiles. */
  positives: number;
  negatives: number;
  auc: number;
}

/**
 * Localisation AUC for every attention snapshot of `run` whose slide's bag
 * has labelled tiles of both kinds and as many tiles as attention entries
 * (attention entry i belongs to the bag's i-th tile, see
 * `store.tumourLabels`).
 *
 * @example
 * ```ts ignore
 * const rows = await loadLocalisation(store, "run-1");
 * ```
 */
export async function loadLocalisation(
  store: Store,
  run: string,
): Promise<SlideLocalisation[]> {
  const labelsOf = await store.tumourLabels(run);
  const snapshots = await store.attentionSnapshots(run);
  const out: SlideLocalisation[] = [];
  for (const s of snapshots) {
    const labels = labelsOf.get(s.slide);
    if (!labels || labels.length !== s.scores.length) continue;
    out.push({
      run,
      epoch: s.epoch,
      slide: s.slide,
      split: s.split,
      positives: labels.filter((l) => l !== null && l > 0).length,
      negatives: labels.filter((l) => l === 0).length,
      auc: localisationAuc(s.scores, labels),
    });
  }
  return out;
}

/** Mean localisation AUC per epoch over the slides that have one. */
export function meanLocalisationByEpoch(
  rows: readonly SlideLocalisation[],
): { epoch: number; auc: number; slides: number }[] {
  const byEpoch = new Map<number, number[]>();
  for (const r of rows) {
    byEpoch.set(r.epoch, [...(byEpoch.get(r.epoch) ?? []), r.auc]);
  }
  return [...byEpoch].sort((a, b) => a[0] - b[0]).map(([epoch, aucs]) => ({
    epoch,
    auc: aucs.reduce((s, x) => s + x, 0) / aucs.length,
    slides: aucs.length,
  }));
}
