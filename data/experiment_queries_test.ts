import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import { storeWith } from "../testing/store_with.ts";
import type { MetricRecord } from "./records.ts";

/** Two finished runs of `abmil none`, one of `abmil ema`, and an unfinished one. */
function storeWithExperiment(): Promise<Store> {
  const runs = [
    ["exp.e1.abmil.none.s0.f0", "finished"],
    ["exp.e1.abmil.none.s1.f0", "finished"],
    ["exp.e1.abmil.ema.s0.f0", "finished"],
    ["exp.e1.abmil.ema.s1.f0", "running"],
    ["exp.e2.abmil.none.s0.f0", "finished"],
  ] as const;
  return storeWith(async (tx) => {
    for (const [id, status] of runs) {
      await tx.upsertRun({ id, model: "abmil", config: {}, status });
    }
    const metrics: MetricRecord[] = [];
    runs.forEach(([run], i) => {
      metrics.push(
        { run, epoch: 2, split: "test", name: "auc", value: 0.5 + i / 10 },
        { run, epoch: null, split: "all", name: "js_last_half", value: i },
      );
      if (i === 0) {
        metrics.push({
          run,
          epoch: null,
          split: "all",
          name: "settling_epoch",
          value: 1,
        });
      }
    });
    await tx.appendMetrics(metrics);
    for (const [run] of runs) {
      for (const epoch of [0, 1, 2]) {
        await tx.upsertEpoch({
          run,
          epoch,
          losses: {},
          lr: 0,
          seconds: 0,
          metrics: {},
        });
      }
      await tx.appendPredictions(
        [1, 2].flatMap((epoch) =>
          ["b", "a"].map((slide) => ({
            run,
            epoch,
            slide,
            split: "test",
            probabilities: [0.5, 0.5],
            label: slide === "a" ? 1 : 0,
          }))
        ),
      );
      await tx.appendAttention([0, 1].map((epoch) => ({
        run,
        epoch,
        slide: "a",
        split: "test",
        scores: epoch === 0 ? [0.5, 0.5] : [0.25, 0.75],
      })));
    }
  });
}

Deno.test("experimentTableRows() averages the finished runs of one experiment per configuration", async () => {
  const store = await storeWithExperiment();
  const rows = await store.experimentTableRows("e1");
  assert.deepEqual(rows.map((r) => [r.model, r.anchor, r.runs, r.settled]), [
    ["abmil", "ema", 1, 0],
    ["abmil", "none", 2, 1],
  ]);
  const none = rows[1]!;
  assert.ok(Math.abs(none.mean.auc - 0.55) < 1e-12);
  assert.ok(Math.abs(none.std.auc - Math.sqrt(0.005)) < 1e-12);
  assert.equal(none.mean.js_last_half, 0.5);
  // Settled at stored epoch 1 → 2; never settled → 3 epochs + 1.
  assert.equal(none.mean.settling_epoch, 3);
  assert.ok(Number.isNaN(rows[0]!.std.auc));
  assert.ok(Number.isNaN(none.mean.localisation_auc));
  store.close();
});

Deno.test("experimentTestPredictions() reads the finished runs' test predictions at their reported epoch", async () => {
  const store = await storeWithExperiment();
  const rows = await store.experimentTestPredictions("e1");
  assert.deepEqual(rows.map((r) => `${r.run} ${r.slide} ${r.label}`), [
    "exp.e1.abmil.ema.s0.f0 a 1",
    "exp.e1.abmil.ema.s0.f0 b 0",
    "exp.e1.abmil.none.s0.f0 a 1",
    "exp.e1.abmil.none.s0.f0 b 0",
    "exp.e1.abmil.none.s1.f0 a 1",
    "exp.e1.abmil.none.s1.f0 b 0",
  ]);
  const figures = await store.experimentRunFigures("e1");
  assert.deepEqual(
    figures.map((f) => `${f.run} ${f.name} ${f.value}`).sort(),
    [
      "exp.e1.abmil.ema.s0.f0 js_last_half 2",
      "exp.e1.abmil.none.s0.f0 js_last_half 0",
      "exp.e1.abmil.none.s1.f0 js_last_half 1",
    ],
  );
  store.close();
});

Deno.test("experimentStability() averages the runs' JS divergence per configuration and epoch", async () => {
  const store = await storeWithExperiment();
  const points = await store.experimentStability("e1");
  // The unfinished run has attention too: the curves show every run.
  assert.deepEqual(points.map((p) => `${p.series} ${p.epoch}`), [
    "abmil ema 0",
    "abmil ema 1",
    "abmil none 0",
    "abmil none 1",
  ]);
  const [ema0, ema1] = points;
  assert.equal(ema0?.model, "abmil");
  assert.equal(ema0?.anchor, "ema");
  assert.ok(Math.abs(ema0!.effective - 2) < 1e-3);
  assert.ok(ema1!.js > 0);
  assert.equal(points[3]!.js, ema1!.js);
  store.close();
});
