import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { fakeSlides, writeFakeRun } from "./_fake_run.ts";
import { bootstrapMetrics, classificationMetrics } from "./metrics.ts";
import {
  chooseEpoch,
  computeRunMetrics,
  epochMetrics,
  selectionScore,
} from "./run_metrics.ts";

async function fakeStore(): Promise<Store> {
  const store = await Store.open(":memory:");
  await writeFakeRun(store, {
    run: "r",
    slides: fakeSlides(12),
    epochs: 4,
    seed: 9,
  });
  return store;
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
  await assert.rejects(chooseEpoch(store, "r", 9), /epochs 0…3/);
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
