import assert from "node:assert/strict";
import { jsDivergence, uniform } from "./attention_measures.ts";
import {
  type AttentionSnapshot,
  lastHalf,
  runStability,
  slideStability,
  slideSummaries,
} from "./stability.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

function snapshot(
  slide: string,
  epoch: number,
  scores: number[],
): AttentionSnapshot {
  return {
    run: "r",
    slide,
    split: slide === "a" ? "val" : "train",
    epoch,
    scores,
  };
}

Deno.test("slideStability() compares each epoch with the previous one and the first with uniform", () => {
  const p0 = [0.1, 0.2, 0.7], p1 = [0.2, 0.2, 0.6], p2 = [0.6, 0.3, 0.1];
  const rows = slideStability([
    snapshot("a", 2, p2),
    snapshot("a", 0, p0),
    snapshot("a", 1, p1),
  ], 1);
  assert.deepEqual(rows.map((r) => r.epoch), [0, 1, 2]);
  close(rows[0]!.jsDivergence!, jsDivergence(uniform(3), p0));
  close(rows[1]!.jsDivergence!, jsDivergence(p0, p1));
  close(rows[2]!.jsDivergence!, jsDivergence(p1, p2));
  assert.equal(rows[0]!.topkOverlap, null);
  assert.equal(rows[0]!.spearman, null);
  assert.equal(rows[1]!.topkOverlap, 1);
  assert.equal(rows[2]!.topkOverlap, 0);
  // ranks [1.5, 1.5, 3] vs [3, 2, 1], centred: a·b = −1.5, |a|² = 1.5, |b|² = 2
  close(rows[2]!.spearman!, -1.5 / Math.sqrt(1.5 * 2));
  assert.equal(rows[2]!.patches, 3);
});

Deno.test("slideStability() leaves pairs with different tile counts undefined", () => {
  const rows = slideStability([
    snapshot("a", 0, [0.5, 0.5]),
    snapshot("a", 1, [0.2, 0.3, 0.5]),
  ]);
  assert.equal(rows[1]!.jsDivergence, null);
  assert.equal(rows[1]!.spearman, null);
});

Deno.test("runStability() finds the settling epoch and averages the last half of training", () => {
  // Two slides; per-epoch mean JS is set by hand through slideStability rows.
  const js = [0.3, 0.05, 0.002, 0.02, 0.004, 0.001];
  const rows = js.flatMap((j, epoch) =>
    ["a", "b"].map((slide) => ({
      run: "r",
      slide,
      split: slide === "a" ? "val" : "train",
      epoch,
      patches: 4,
      jsDivergence: slide === "a" ? j * 0.5 : j * 1.5,
      entropy: 1 + epoch,
      effectivePatches: Math.exp(1 + epoch),
      topkOverlap: null,
      spearman: null,
    }))
  );
  const [all, train, val] = runStability(rows, 0.01);
  assert.deepEqual([all!.split, train!.split, val!.split], [
    "all",
    "train",
    "val",
  ]);
  // Mean JS per epoch equals js; it dips below 0.01 at epoch 2, rises at 3, settles at 4.
  assert.equal(all!.settlingEpoch, 4);
  close(all!.meanJsLastHalf, (0.02 + 0.004 + 0.001) / 3);
  assert.equal(all!.epochs, 6);
  assert.equal(all!.slides, 2);
  close(all!.finalEntropy, 6);
  // train: 1.5 × js stays above 0.01 until epoch 4 (0.006)
  assert.equal(train!.settlingEpoch, 4);
  // val: 0.5 × js = [.15, .025, .001, .01, .002, .0005]; 0.01 is not below 0.01
  assert.equal(val!.settlingEpoch, 4);
  assert.equal(runStability(rows, 0.0001)[0]!.settlingEpoch, null);
  assert.equal(runStability(rows, 1)[0]!.settlingEpoch, 0);
});

Deno.test("runStability() averages the top-k overlap over the last half, epochs first", () => {
  // Epochs 0..3; slide a has overlaps [null, 0.2, 0.4, 1], slide b
  // [null, 0, 0.6, null]: per-epoch means [–, 0.1, 0.5, 1], last half 2..3.
  const overlaps = { a: [null, 0.2, 0.4, 1], b: [null, 0, 0.6, null] };
  const rows = [0, 1, 2, 3].flatMap((epoch) =>
    (["a", "b"] as const).map((slide) => ({
      run: "r",
      slide,
      split: "test",
      epoch,
      patches: 20,
      jsDivergence: 0.01,
      entropy: 1,
      effectivePatches: Math.E,
      topkOverlap: overlaps[slide][epoch]!,
      spearman: null,
    }))
  );
  close(runStability(rows)[0]!.meanTopkLastHalf, (0.5 + 1) / 2);
  const none = rows.map((r) => ({ ...r, topkOverlap: null }));
  assert.ok(Number.isNaN(runStability(none)[0]!.meanTopkLastHalf));
});

Deno.test("lastHalf() keeps positions past the floor of half", () => {
  assert.deepEqual(lastHalf([0, 1, 2, 3, 4]), [2, 3, 4]);
  assert.deepEqual(lastHalf([0, 1, 2, 3]), [2, 3]);
  assert.deepEqual(lastHalf([7]), [7]);
});

Deno.test("slideSummaries() orders slides from most to least stable", () => {
  const steady = [0.25, 0.25, 0.25, 0.25];
  const rows = slideStability([
    ...[0, 1, 2, 3].map((e) =>
      snapshot("a", e, e % 2 ? [0.7, 0.1, 0.1, 0.1] : [0.1, 0.1, 0.1, 0.7])
    ),
    ...[0, 1, 2, 3].map((e) => snapshot("b", e, steady)),
  ]);
  const summaries = slideSummaries(rows);
  assert.deepEqual(summaries.map((s) => s.slide), ["b", "a"]);
  assert.equal(summaries[0]!.meanJsLastHalf, 0);
  assert.ok(summaries[1]!.meanJsLastHalf > 0.1);
});
