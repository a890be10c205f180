import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import { storeWith } from "../testing/store_with.ts";
import { runMetricsSql } from "./evaluation_queries.ts";

function storeWithRun(): Promise<Store> {
  return storeWith(async (tx) => {
    await tx.upsertRun({
      id: "r2",
      model: "abmil",
      config: { selection: "micro-f1" },
      seed: 3,
      fold: 1,
    });
    await tx.upsertRun({ id: "r1", model: "clam", config: null });
    for (const epoch of [1, 0]) {
      await tx.upsertEpoch({
        run: "r2",
        epoch,
        losses: { bag: epoch + 0.5 },
        lr: 1e-3,
        seconds: 1,
        metrics: {},
      });
    }
    const p = (
      epoch: number,
      slide: string,
      split: string,
      label?: number,
    ) => ({
      run: "r2",
      epoch,
      slide,
      split,
      probabilities: [0.5, 0.5],
      ...(label === undefined ? {} : { label }),
    });
    await tx.appendPredictions([
      p(1, "b", "val", 1),
      p(0, "c", "test", 0),
      p(0, "a", "val", 0),
      p(0, "d", "val"),
      p(0, "b", "val", 1),
    ]);
  });
}

Deno.test("storedRun() reads a run's row with its config parsed, undefined when unknown", async () => {
  const store = await storeWithRun();
  const run = await store.storedRun("r2");
  assert.equal(run?.model, "abmil");
  assert.deepEqual(run?.config, { selection: "micro-f1" });
  assert.equal(run?.seed, 3);
  assert.equal(run?.fold, 1);
  assert.equal(run?.status, "running");
  assert.ok(run?.started instanceof Date);
  assert.equal(run?.finished, null);
  assert.equal(await store.storedRun("r9"), undefined);
  assert.deepEqual(await store.runIds(), ["r1", "r2"]);
  store.close();
});

Deno.test("epochLosses() gives the loss parts per epoch in epoch order", async () => {
  const store = await storeWithRun();
  assert.deepEqual(await store.epochLosses("r2"), [
    { epoch: 0, losses: { bag: 0.5 } },
    { epoch: 1, losses: { bag: 1.5 } },
  ]);
  assert.deepEqual(await store.epochLosses("r1"), []);
  store.close();
});

Deno.test("labelledPredictions() skips unlabelled slides and orders by epoch, split and slide", async () => {
  const store = await storeWithRun();
  assert.deepEqual(await store.predictionEpochs("r2"), [0, 1]);
  const all = await store.labelledPredictions("r2");
  assert.deepEqual(
    all.map((p) => `${p.epoch} ${p.split} ${p.slide} ${p.label}`),
    ["0 test c 0", "0 val a 0", "0 val b 1", "1 val b 1"],
  );
  const last = await store.labelledPredictions("r2", 1);
  assert.deepEqual(last.map((p) => p.slide), ["b"]);
  assert.deepEqual(last[0]?.probabilities, [0.5, 0.5]);
  store.close();
});

Deno.test("runMetricsSql() quotes the run id", () => {
  assert.equal(
    runMetricsSql("o'run"),
    "SELECT * FROM metrics WHERE run = 'o''run'",
  );
});
