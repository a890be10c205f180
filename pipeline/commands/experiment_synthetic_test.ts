import assert from "node:assert/strict";
import { commandContext } from "../cli_context.ts";
import { runExperiment } from "./experiment.ts";

Deno.test("runExperiment() on synthetic data tiles and embeds the cohort once, then trains on its embeddings with tumour-tile localisation", async () => {
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
  await Deno.remove(dir, { recursive: true });
});
