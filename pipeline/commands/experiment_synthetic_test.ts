import assert from "node:assert/strict";
import { commandContext } from "../cli_context.ts";
import { runExperiment } from "./experiment.ts";
import {
  collectExperiment,
  planExperiment,
  runExperimentTask,
} from "./experiment_array.ts";

Deno.test("runExperiment() on synthetic data tiles and embeds the cohort once, then trains on its embeddings with tumour-tile localisation; as a 2-task array it gives the same table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-experiment-synth-" });
  const ctx = await commandContext({ db: `${dir}/asmil.duckdb`, quiet: true });
  const options = {
    data: "synthetic" as const,
    syntheticSlides: 6,
    syntheticSides: [1536],
    seeds: 1,
    epochs: 2,
    folds: 3,
    models: ["abmil"],
    modelOptions: { abmil: { innerDim: 32, attentionDim: 16 } },
    report: false,
  };
  const first = await runExperiment(ctx, options);
  assert.match(first.description, /^synthetic: 6 slides/);
  assert.equal(first.runs.length, 6, "2 configurations × 3 folds");
  assert.equal(first.rows.length, 2);
  for (const r of first.rows) {
    assert.equal(r.runs, 3);
    assert.ok(
      Number.isFinite(r.mean.auc) && Number.isFinite(r.mean.js_last_half),
    );
    assert.ok(
      Number.isFinite(r.mean.localisation_auc),
      "tumour tiles give a localisation AUC",
    );
  }
  const again = await runExperiment(ctx, options);
  assert.equal(again.name, first.name);
  assert.ok(again.runs.every((r) => r.status === "skipped"));

  // The same grid under another name as a 2-task array on the embedded
  // store: the tasks read the cohort's embeddings without tiling anything.
  const array = { ...options, name: "arr" };
  const fresh = () =>
    commandContext({ db: `${dir}/asmil.duckdb`, quiet: true });
  const plan = await planExperiment(await fresh(), array);
  assert.equal(plan.grid.runs.length, 6);
  for (const index of [0, 1]) {
    const task = await runExperimentTask(await fresh(), array, {
      index,
      count: 2,
    });
    assert.deepEqual(task.runs.map((r) => r.status), [
      "trained",
      "trained",
      "trained",
    ]);
  }
  const collected = await collectExperiment(await fresh(), array);
  assert.equal(collected.merged.length, 2);
  assert.deepEqual(collected.rows, first.rows);
  await Deno.remove(dir, { recursive: true });
});
