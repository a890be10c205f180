import assert from "node:assert/strict";
import type { BagInfo } from "../../stages/bag/bag_source.ts";
import { smallSplitWarning } from "./small_splits.ts";

function infos(rows: [string, number][]): BagInfo[] {
  return rows.map(([split, label], i) => ({
    slideId: `s${i}`,
    n: 10,
    dim: 4,
    label,
    split: split as BagInfo["split"],
  }));
}

Deno.test("smallSplitWarning() is silent when every split has two slides of each class", () => {
  const rows: [string, number][] = [];
  for (const split of ["train", "val", "test"]) {
    for (const label of [0, 0, 1, 1]) rows.push([split, label]);
  }
  assert.equal(smallSplitWarning(infos(rows), 2, { folds: 3 }), undefined);
  // A split with no slides at all is not warned about.
  assert.equal(
    smallSplitWarning(infos(rows.filter(([s]) => s !== "val")), 2),
    undefined,
  );
});

Deno.test("smallSplitWarning() names the small splits with their counts and suggests folds that work", () => {
  // 12 slides of each class in a 5-fold split: val holds one of class 1.
  const rows: [string, number][] = [];
  for (let i = 0; i < 10; i++) rows.push(["train", i % 2], ["train", i % 2]);
  rows.push(["val", 0], ["val", 0], ["val", 1], ["test", 1], ["test", 0]);
  const w = smallSplitWarning(infos(rows), 2, { folds: 5 });
  assert.match(
    w ?? "",
    /^warning: fewer than 2 slides of a class in a split \(val: 3 slides \(class 0 2, class 1 1\); test: 2 slides \(class 0 1, class 1 1\)\): .*; use --folds 6 or fewer so each split has at least 2 slides of every class$/,
  );
  // A class absent from a split counts as zero; too few slides for any
  // k-fold: add slides or give a split file.
  const tiny = smallSplitWarning(
    infos([["train", 0], ["train", 1], ["val", 0], ["test", 1]]),
    2,
    { folds: 3 },
  );
  assert.match(
    tiny ?? "",
    /val: 1 slide \(class 0 1, class 1 0\).*a 3-fold split needs 6 slides of every class for that \(class 0 has 2, class 1 has 2\): add slides, or give a split file \(--split\)/,
  );
});
