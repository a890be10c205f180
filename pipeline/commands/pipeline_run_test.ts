import assert from "node:assert/strict";
import { commandContext } from "../cli_context.ts";
import { runPipeline } from "./pipeline.ts";
import { pipelineSummary } from "./pipeline_command.ts";
import { Store } from "../../data/store.ts";

Deno.test("the pipeline runs a small synthetic cohort end to end and a rerun resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-pipeline-" });
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      seed: 3,
      train: {
        model: "gated_abmil",
        epochs: 2,
        folds: 3,
        modelOptions: { innerDim: 32, attentionDim: 16 },
      },
    }),
  );
  const ctx = await commandContext({
    db: `${dir}/asmil.duckdb`,
    config,
    quiet: true,
  });
  const models = [
    {
      model: "asmil",
      modelOptions: { innerDim: 16, nToken: 2, nDrop: 1, heads: 2 },
    },
    { model: "gated_abmil", modelOptions: { innerDim: 32, attentionDim: 16 } },
  ];
  const first = await runPipeline(ctx, {
    syntheticSlides: 6,
    syntheticSides: [1536],
    models,
  });
  assert.equal(first.slides, 6);
  assert.deepEqual(first.failed, []);
  assert.ok(first.tiles > 0, "tiles were embedded");
  assert.equal(first.cohortTiles, first.tiles);
  assert.deepEqual(first.runs.map((r) => r.train.model), [
    "asmil",
    "gated_abmil",
  ]);
  for (const r of first.runs) assert.equal(r.train.events.length, 2);
  assert.deepEqual(
    first.runs.map((r) => r.evaluation.run.id),
    first.runs.map((r) => r.train.run),
  );
  assert.ok(
    (await Deno.stat(first.report)).size > 10_000,
    "the report was written",
  );
  const summary = pipelineSummary(first, ["demo: a note"]);
  assert.match(summary, /^cohort +6 slides \(0 failed\), \d+ tiles/m);
  assert.match(summary, /stratified 3-fold, fold 0, seed 3: \d+ train/);
  assert.match(summary, /^settings 2 epochs, AdamW lr 0\.0001/m);
  assert.match(summary, /^ +demo: a note$/m);
  assert.match(summary, /^asmil +test +[\d.]+ \[/m);
  assert.match(summary, /^gated_abmil +test +[\d.]+ \[/m);
  assert.match(
    summary,
    /^asmil +\d\/2 +\S+ +(never|epoch \d) +[\d.]+ of [\d.]+ tiles/m,
  );
  assert.match(summary, /^gated_abmil +[\d.]+\/\S+ +[\d.]+\/\S+$/m);
  assert.match(summary, new RegExp(`report +${first.report}`));
  assert.ok(first.seconds.synth > 0, "the cohort was written");
  assert.match(
    summary,
    /^time +synthetic cohort \d+s, tile\+embed \d+s, train asmil \d+s \+ gated_abmil \d+s/m,
  );
  assert.match(
    summary,
    new RegExp(
      `run IN \\('${first.runs[0]!.train.run}', '${
        first.runs[1]!.train.run
      }'\\)`,
    ),
  );

  const store = await Store.open(`${dir}/asmil.duckdb`, { readOnly: true });
  const counts = await store.query(
    `SELECT (SELECT count(*) FROM slides WHERE status = 'tiled') AS slides,
            (SELECT count(*) FROM tiles) AS tiles,
            (SELECT count(*) FROM embeddings) AS embeddings,
            (SELECT count(*) FROM tiles WHERE label = 1) AS tumour_tiles,
            (SELECT count(*) FROM attention_stability WHERE run = ?) AS stability`,
    [first.runs[0]!.train.run],
  );
  const c = counts[0]!;
  assert.equal(c.slides, 6);
  assert.equal(c.tiles, c.embeddings);
  assert.ok((c.tumour_tiles as number) > 0, "tumour tiles carry label 1");
  const evaluated = first.runs[0]!.train.events[0]!.val!.n +
    first.runs[0]!.train.events[0]!.test!.n;
  assert.equal(c.stability, evaluated * 2);
  store.close();

  const again = await runPipeline(ctx, {
    syntheticSlides: 6,
    syntheticSides: [1536],
  });
  assert.equal(again.tiles, 0, "nothing is embedded twice");
  assert.equal(again.cohortTiles, first.tiles);
  assert.equal(again.seconds.synth, 0, "the cohort was reused");
  assert.match(pipelineSummary(again), /^time +tile\+embed \d+s/m);
  assert.deepEqual(
    again.runs.map((r) => r.train.model),
    ["gated_abmil"],
    "without models, the configuration's",
  );
});
