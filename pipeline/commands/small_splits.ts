/**
 * A warning before training when a split holds fewer than two slides of
 * some class: its AUC is undefined or rests on one slide, and the best
 * epoch is chosen on noise (a 6-slide cohort in 5 folds leaves one
 * validation slide). Said before any epoch runs, with the folds that would
 * work.
 *
 * @module
 */
import type { BagInfo } from "../../stages/bag/bag_source.ts";

/** Slides of every class each split should hold. */
export const MIN_SLIDES_PER_CLASS_IN_SPLIT = 2;

/** How the splits were made, for the advice. */
export interface SplitOrigin {
  /** Folds of the stratified k-fold, when the splits come from one. */
  folds?: number;
  /** Smallest number of folds the CLI accepts (default 3). */
  minFolds?: number;
}

/**
 * The warning for `infos` (their labels and splits, over `numClasses`
 * classes), or undefined when every split that has slides holds at least
 * {@link MIN_SLIDES_PER_CLASS_IN_SPLIT} of each class.
 *
 * @example
 * ```ts
 * import { smallSplitWarning } from "./small_splits.ts";
 * const infos = ["train", "train", "train", "train", "val", "test"].map((split, i) => ({
 *   slideId: `s${i}`, n: 10, dim: 4, label: i % 2, split: split as "train" | "val" | "test",
 * }));
 * const w = smallSplitWarning(infos, 2, { folds: 5 });
 * if (!w?.includes("val: 1 slide")) throw new Error(w);
 * ```
 */
export function smallSplitWarning(
  infos: readonly BagInfo[],
  numClasses: number,
  origin: SplitOrigin = {},
): string | undefined {
  const splits = ["train", "val", "test"] as const;
  const count = (split: string, label: number) =>
    infos.filter((b) => b.split === split && b.label === label).length;
  const small = splits.filter((split) => {
    if (!infos.some((b) => b.split === split)) return false;
    return Array.from({ length: numClasses }, (_, c) => count(split, c))
      .some((n) => n < MIN_SLIDES_PER_CLASS_IN_SPLIT);
  });
  if (small.length === 0) return undefined;
  const described = small.map((split) => {
    const n = infos.filter((b) => b.split === split).length;
    return `${split}: ${n} slide${n === 1 ? "" : "s"} (${
      Array.from({ length: numClasses }, (_, c) =>
        `class ${c} ${count(split, c)}`)
        .join(", ")
    })`;
  }).join("; ");
  return `warning: fewer than ${MIN_SLIDES_PER_CLASS_IN_SPLIT} slides of a class in a split (${described}): its AUC is undefined or rests on one slide, and the best epoch is chosen on noise; ${
    advice(infos, numClasses, origin)
  }`;
}

function advice(
  infos: readonly BagInfo[],
  numClasses: number,
  origin: SplitOrigin,
): string {
  const perClass = Array.from(
    { length: numClasses },
    (_, c) => infos.filter((b) => b.label === c).length,
  );
  // A stratified k-fold deals each class round-robin: every fold holds at
  // least floor(n_c / k) slides of class c.
  const workable = Math.min(
    ...perClass.map((n) => Math.floor(n / MIN_SLIDES_PER_CLASS_IN_SPLIT)),
  );
  const minFolds = origin.minFolds ?? 3;
  if (origin.folds !== undefined && workable >= minFolds) {
    return `use --folds ${workable} or fewer so each split has at least ${MIN_SLIDES_PER_CLASS_IN_SPLIT} slides of every class`;
  }
  const few = perClass.map((n, c) => `class ${c} has ${n}`).join(", ");
  return `a ${minFolds}-fold split needs ${
    minFolds * MIN_SLIDES_PER_CLASS_IN_SPLIT
  } slides of every class for that (${few}): add slides, or give a split file (--split) with at least ${MIN_SLIDES_PER_CLASS_IN_SPLIT} slides of every class in val and test`;
}
