import assert from "node:assert/strict";
import type { Store } from "../../data/store.ts";
import { fakeRunStore } from "../../testing/fake_run.ts";
import { bootstrapMetrics, classificationMetrics } from "./metrics.ts";
import { chooseEpoch, computeRunMetrics, epochMetrics } from "./run_metrics.ts";
import { selectionScore } from "./model_selection.ts";

function fakeStore(): Promise<Store> {
  return fakeRunStore({ slides: 12, epochs: 4, seed: 9 });
}

Deno.test("computeRunMetrics() writes value, lo and hi for each split of the chosen epoch", async () => {
  const store = await fakeStore();
  const { epoch, splits } = await computeRunMetrics(store, "r", {
    bootstrap: { seed: 1, resamples: 300 },
  });
  assert.equal(epoch, 3);
  assert.deepEqual(splits.map((s) => s.split), ["test", "train", "val"]);
  // Recompute the val figures from the rows by hand.
  const rows = await store.query<{ probabilities: number[]; label: number }>(
    "SELECT probabilities, label FROM predictions WHERE run = 'r' AND epoch = 3 AND split = 'val' ORDER BY slide",
  );
  const expected = bootstrapMetrics({
    probabilities: rows.map((r) => r.probabilities),
    labels: rows.map((r) => r.label),
  }, { seed: 1, resamples: 300 });
  const stored = await store.query(
    "SELECT name, value, lo, hi FROM metrics WHERE run = 'r' AND epoch = 3 AND split = 'val' ORDER BY name",
  );
  const byName = new Map(stored.map((r) => [r.name as string, r]));
  assert.deepEqual(byName.get("auc"), {
    name: "auc",
    value: expected.auc.value,
    lo: expected.auc.lo,
    hi: expected.auc.hi,
  });
  assert.equal(byName.get("n")!.value, 4);
  assert.equal(byName.get("macro_f1")!.value, expected.macroF1.value);
  assert.equal(byName.get("recall_1")!.value, expected.metrics.recall[1]);
  assert.equal(byName.get("recall_1")!.lo, null);
  // Evaluating again replaces rather than duplicates.
  await computeRunMetrics(store, "r", {
    bootstrap: { seed: 1, resamples: 300 },
  });
  const [count] = await store.query(
    "SELECT count(*) AS n FROM metrics WHERE run = 'r' AND name = 'auc'",
  );
  assert.equal(count!.n, 3);
  store.close();
});

Deno.test("chooseEpoch() picks the last epoch, a given one or the best by the trainer's selection score", async () => {
  const store = await fakeStore();
  assert.equal(await chooseEpoch(store, "r"), 3);
  assert.equal(await chooseEpoch(store, "r", 1), 1);
  const curve = (await epochMetrics(store, "r")).filter((m) =>
    m.split === "val"
  );
  const scores = curve.map((m) => m.metrics.auc + m.metrics.macroF1);
  const epoch = await chooseEpoch(store, "r", "best");
  assert.equal(epoch, scores.indexOf(Math.max(...scores)));
  assert.equal(selectionScore(curve[epoch]!.metrics), Math.max(...scores));
  // Without predictions on the selection split, "best" is the last epoch.
  assert.equal(await chooseEpoch(store, "r", "best", "holdout"), 3);
  await assert.rejects(
    chooseEpoch(store, "r", 9),
    /epochs 1…4 \(stored 0…3/,
  );
  await assert.rejects(chooseEpoch(store, "nope"), /expected predictions/);
  store.close();
});

Deno.test("epochMetrics() gives one entry per epoch and split matching classificationMetrics()", async () => {
  const store = await fakeStore();
  const curve = await epochMetrics(store, "r");
  assert.equal(curve.length, 4 * 3);
  const rows = await store.query<{ probabilities: number[]; label: number }>(
    "SELECT probabilities, label FROM predictions WHERE run = 'r' AND epoch = 2 AND split = 'train' ORDER BY slide",
  );
  const m = classificationMetrics({
    probabilities: rows.map((r) => r.probabilities),
    labels: rows.map((r) => r.label),
  });
  assert.deepEqual(
    curve.find((c) => c.epoch === 2 && c.split === "train")!.metrics,
    m,
  );
  store.close();
});

Deno.test("chooseEpoch() picks the best by micro-F1 (accuracy) + AUC for a run the trainer selected that way", async () => {
  const store = await fakeStore();
  // Val labels 0, 0, 0, 1 and P(class 1) per epoch, AUC 1 at epochs 0–1:
  // epoch 0 predicts all 0 (accuracy 3/4, macro-F1 (6/7 + 0)/2 = 3/7),
  // epoch 1 predicts 0, 0, 1, 1 (accuracy 3/4, macro-F1 (4/5 + 2/3)/2);
  // epochs 2–3 rank every slide wrongly.
  const slides = (await store.query<{ slide: string }>(
    "SELECT DISTINCT slide FROM predictions WHERE run = 'r' AND split = 'val' ORDER BY slide",
  )).map((r) => r.slide);
  assert.equal(slides.length, 4);
  const p1 = [[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.6, 0.7], [0.9, 0.8, 0.7, 0.1]];
  for (let epoch = 0; epoch < 4; epoch++) {
    for (const [i, slide] of slides.entries()) {
      const p = p1[Math.min(epoch, 2)]![i]!;
      await store.exec(
        "UPDATE predictions SET label = ?, probabilities = [?, ?] WHERE run = 'r' AND split = 'val' AND epoch = ? AND slide = ?",
        [i === 3 ? 1 : 0, 1 - p, p, epoch, slide],
      );
    }
  }
  assert.equal(await chooseEpoch(store, "r", "best"), 1, "macro-F1 + AUC");
  await store.exec(
    `UPDATE runs SET config = '{"selection":"micro-f1"}' WHERE id = 'r'`,
  );
  assert.equal(await chooseEpoch(store, "r", "best"), 0, "micro-F1 + AUC");
  store.close();
});
