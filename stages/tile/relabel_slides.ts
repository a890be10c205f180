/**
 * Labels and splits of slides the store already holds, brought up to date
 * from their refs. Tiling skips a slide tiled with the same parameters, and
 * a label is not a tiling parameter, so without this a corrected labels CSV
 * given to `asmil tile` on a tiled store would be silently ignored.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { SlideRef } from "../../core/types.ts";

/** One stored slide whose label or split was changed. */
export interface LabelChange {
  slideId: string;
  /** Stored label before and after (`null`: none). */
  label: { from: string | null; to: string | null };
  /** Stored split before and after (`null`: none). */
  split: { from: string | null; to: string | null };
}

/**
 * Sets the stored label and split of every slide in `slides` that the store
 * already holds and whose ref carries a different label or split, in one
 * transaction; returns what changed. A ref without a label (or split) leaves
 * the stored one as it is; slides the store lacks are left to tiling.
 *
 * @example
 * ```ts
 * import { Store } from "../../data/store.ts";
 * import { relabelSlides } from "./relabel_slides.ts";
 * const store = await Store.open(":memory:");
 * await store.transaction((tx) =>
 *   tx.upsertSlide({ id: "a", path: "a.tiff", label: 0, status: "tiled" })
 * );
 * const changes = await relabelSlides(store, [{ id: "a", path: "a.tiff", label: 1 }]);
 * if (changes[0]?.label.to !== "1") throw new Error("label not updated");
 * store.close();
 * ```
 */
export async function relabelSlides(
  store: Store,
  slides: readonly SlideRef[],
): Promise<LabelChange[]> {
  const given = slides.filter((s) =>
    s.label !== undefined || s.split !== undefined
  );
  if (given.length === 0) return [];
  const stored = new Map(
    (await store.slideLabels()).map((r) => [r.id, r]),
  );
  const changes: LabelChange[] = [];
  for (const s of given) {
    const row = stored.get(s.id);
    if (!row) continue;
    const label = s.label === undefined ? row.label : String(s.label);
    const split = s.split ?? row.split;
    if (label === row.label && split === row.split) continue;
    changes.push({
      slideId: s.id,
      label: { from: row.label, to: label },
      split: { from: row.split, to: split },
    });
  }
  if (changes.length === 0) return changes;
  await store.transaction(async (tx) => {
    for (const c of changes) {
      await tx.setSlideLabel(c.slideId, c.label.to, c.split.to);
    }
  });
  return changes;
}

/** `"a": label 0 → 1, split train → val` for a person to read. */
export function describeLabelChange(c: LabelChange): string {
  const parts: string[] = [];
  const shown = (v: string | null) => v ?? "none";
  if (c.label.from !== c.label.to) {
    parts.push(`label ${shown(c.label.from)} → ${shown(c.label.to)}`);
  }
  if (c.split.from !== c.split.to) {
    parts.push(`split ${shown(c.split.from)} → ${shown(c.split.to)}`);
  }
  return `"${c.slideId}": ${parts.join(", ")}`;
}
