import assert from "node:assert/strict";
import { commandContext } from "../pipeline/cli_context.ts";
import { runPipeline } from "../pipeline/commands/pipeline.ts";
import { pipelineSummary } from "../pipeline/commands/pipeline_command.ts";
import { Store } from "../data/store.ts";

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
  const first = await runPipeline(ctx, {
    syntheticSlides: 6,
    syntheticSides: [1536],
  });
  assert.equal(first.slides, 6);
  assert.deepEqual(first.failed, []);
  assert.ok(first.tiles > 0, "tiles were embedded");
  assert.equal(first.train.events.length, 2);
  assert.ok(
    (await Deno.stat(first.report)).size > 10_000,
    "the report was written",
  );
  const summary = pipelineSummary(first);
  assert.match(summary, /reported epoch \d of 2/);
  assert.match(summary, /^test +[\d.]+ \[/m);
  assert.match(summary, new RegExp(`report +${first.report}`));

  const store = await Store.open(`${dir}/asmil.duckdb`, { readOnly: true });
  const counts = await store.query(
    `SELECT (SELECT count(*) FROM slides WHERE status = 'tiled') AS slides,
            (SELECT count(*) FROM tiles) AS tiles,
            (SELECT count(*) FROM embeddings) AS embeddings,
            (SELECT count(*) FROM tiles WHERE label = 1) AS tumour_tiles,
            (SELECT count(*) FROM attention_stability WHERE run = ?) AS stability`,
    [first.train.run],
  );
  const c = counts[0]!;
  assert.equal(c.slides, 6);
  assert.equal(c.tiles, c.embeddings);
  assert.ok((c.tumour_tiles as number) > 0, "tumour tiles carry label 1");
  const evaluated = first.train.events[0]!.val!.n +
    first.train.events[0]!.test!.n;
  assert.equal(c.stability, evaluated * 2);
  store.close();

  const again = await runPipeline(ctx, {
    syntheticSlides: 6,
    syntheticSides: [1536],
  });
  assert.equal(again.tiles, 0, "nothing is embedded twice");
});
