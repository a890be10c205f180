/**
 * The evaluate stage on rows written by the real trainer (gated ABMIL on
 * feature bags with instance labels), not on the fake run: its figures must
 * agree with what the trainer itself reported each epoch.
 */
import assert from "node:assert/strict";
import { featureBags } from "../../data/feature_bags.ts";
import { Store } from "../../data/store.ts";
import { createModel } from "../../models/all.ts";
import { useBackendFromEnv } from "../../models/backend/mod.ts";
import { type EpochEvent, trainModel } from "../train/trainer.ts";
import { evaluateRun } from "./evaluate_run.ts";
import { loadSlideStability } from "./stability.ts";

await useBackendFromEnv({ quiet: true });

async function trainedStore(): Promise<{ store: Store; events: EpochEvent[] }> {
  const bags = featureBags({
    count: 48,
    dim: 16,
    shift: 5,
    seed: 7,
    instanceLabels: true,
  });
  const store = await Store.open(":memory:");
  // Tiles with the bags' instance labels, so localisation can be measured.
  await store.transaction(async (tx) => {
    for (const bag of bags) {
      await tx.replaceTiles(
        bag.slideId,
        Array.from({ length: bag.n }, (_, tile) => ({
          tile,
          x: (tile % 8) * 256,
          y: Math.floor(tile / 8) * 256,
          size: 256,
          level: 0,
          label: bag.tileLabels![tile]!,
        })),
      );
    }
  });
  const model = createModel("gated_abmil", {
    inputDim: 16,
    numClasses: 2,
    innerDim: 32,
    attentionDim: 16,
    seed: 2,
  });
  try {
    const events = await Array.fromAsync(
      trainModel(model, bags, {
        runId: "t",
        epochs: 5,
        lr: 5e-3,
        seed: 2,
        quiet: true,
        store,
      }),
    );
    return { store, events };
  } finally {
    model.dispose();
  }
}

Deno.test("evaluateRun() on a trained run agrees with the trainer's own per-epoch figures", async () => {
  const { store, events } = await trainedStore();
  try {
    const e = await evaluateRun({
      store,
      run: "t",
      epoch: "best",
      bootstrap: { resamples: 100 },
    });
    // The best epoch is the one whose weights the trainer kept (epoch 2 of 0…4 here).
    assert.notEqual(e.epoch, events.length - 1);
    assert.equal(e.epoch, events.at(-1)!.bestEpoch);
    // Validation AUC and macro-F1 per epoch as the trainer computed them.
    for (const event of events) {
      const val = e.curve.find((c) =>
        c.epoch === event.epoch && c.split === "val"
      )!;
      assert.ok(
        Math.abs(val.metrics.auc - event.val!.auc) < 1e-9,
        `epoch ${event.epoch} AUC`,
      );
      assert.ok(
        Math.abs(val.metrics.macroF1 - event.val!.macroF1) < 1e-9,
        `epoch ${event.epoch} F1`,
      );
    }
    // The trainer's mean validation JS divergence per epoch is ours.
    const val = e.stability.find((s) => s.split === "val")!;
    assert.equal(val.meanJsByEpoch.length, events.length);
    val.meanJsByEpoch.forEach((m, i) => {
      const theirs = events[i]!.jsDivergence;
      assert.ok(
        Math.abs(m.meanJs - theirs) <= 1e-6 * Math.max(1, theirs),
        `epoch ${i}: ${m.meanJs} vs ${theirs}`,
      );
    });
    // Attention learns the witnesses on this easy problem.
    const last = e.localisation.at(-1)!;
    assert.ok(
      last.slides > 0 && last.auc > 0.8,
      `localisation AUC ${last.auc} over ${last.slides} slides`,
    );
    // SQL and TypeScript agree on the trainer's rows too.
    const ts = await loadSlideStability(store, "t");
    const sql = await store.query(
      "SELECT js_divergence, spearman FROM attention_stability_full() WHERE run = 't' ORDER BY slide, epoch",
    );
    assert.equal(sql.length, ts.length);
    sql.forEach((s, i) => {
      assert.ok(
        Math.abs((s.js_divergence as number) - ts[i]!.jsDivergence!) < 1e-6,
      );
      if (ts[i]!.spearman !== null && !Number.isNaN(ts[i]!.spearman)) {
        assert.ok(Math.abs((s.spearman as number) - ts[i]!.spearman!) < 1e-9);
      }
    });
  } finally {
    store.close();
  }
});
