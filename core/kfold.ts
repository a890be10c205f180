/**
 * Stratified k-fold splits with a seed.
 *
 * @module
 */
import { Rng } from "./random.ts";
import type { Split } from "./types.ts";

/**
 * Assigns every slide to train/val/test for fold `fold` of `k`: slides are
 * shuffled per class with the seed and dealt round-robin into k folds; fold
 * `fold` is the test set, fold `fold + 1 (mod k)` the validation set, the
 * rest train. Each class is spread as evenly as possible over the folds.
 *
 * @example
 * ```ts
 * import { stratifiedKFold } from "./kfold.ts";
 * const labels = new Map([["a", 0], ["b", 0], ["c", 1], ["d", 1], ["e", 0], ["f", 1]]);
 * const s = stratifiedKFold(labels, 3, 0, 1);
 * if ([...s.values()].filter((x) => x === "test").length !== 2) throw new Error();
 * ```
 */
export function stratifiedKFold(
  labels: ReadonlyMap<string, number>,
  k: number,
  fold: number,
  seed: number,
): Map<string, Split> {
  if (!Number.isInteger(k) || k < 3) {
    throw new RangeError(
      `k-fold needs k ≥ 3 (a test, a validation and a training fold): current value is ${k}`,
    );
  }
  if (!Number.isInteger(fold) || fold < 0 || fold >= k) {
    throw new RangeError(
      `fold must be an integer in [0, ${k}): current value is ${fold}`,
    );
  }
  const rng = new Rng(seed);
  const byClass = new Map<number, string[]>();
  for (const id of [...labels.keys()].sort()) {
    const c = labels.get(id) as number;
    byClass.set(c, [...(byClass.get(c) ?? []), id]);
  }
  const out = new Map<string, Split>();
  let offset = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const ids = rng.shuffle(byClass.get(c) as string[]);
    ids.forEach((id, i) => {
      const f = (i + offset) % k;
      out.set(
        id,
        f === fold ? "test" : f === (fold + 1) % k ? "val" : "train",
      );
    });
    offset += ids.length;
  }
  return out;
}
