import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type BagSource,
  BagStream,
  buildModel,
  ConcurrentMapStream,
  EmbedStream,
  type EpochEvent,
  openEncoder,
  openStore,
  readLabelsCsv,
  ReportStream,
  type SlideRef,
  type Store,
  stratifiedKFold,
  TileStream,
  TrainStream,
  useBackend,
  withSplits,
  writeSyntheticCohort,
  type WrittenReport,
} from "../../mod.ts";
import { commandContext } from "../cli_context.ts";
import { runPipeline } from "./pipeline.ts";

const SEED = 3;
const MODEL = { innerDim: 32, attentionDim: 16 };

/**
 * The chain built from the public API alone: slides → tile → embed → bag →
 * a seeded 3-fold split → train → evaluate and report, on one store.
 */
async function chain(
  store: Store,
  slides: readonly SlideRef[],
  labels: ReadonlyMap<string, number>,
  outDir: string,
  seed: number,
): Promise<{ events: EpochEvent[]; report: WrittenReport }> {
  const encoder = await openEncoder("mobilenet_v2", { threads: 2 });
  const events: EpochEvent[] = [];
  try {
    const [report] = await Array.fromAsync(
      ReadableStream.from(slides)
        .pipeThrough(new TileStream({ store }))
        .pipeThrough(new EmbedStream({ encoder, store }))
        .pipeThrough(new BagStream({ store, labels, defaultSplit: "train" }))
        .pipeThrough(
          new ConcurrentMapStream(
            (bags: BagSource) =>
              Promise.resolve(withSplits(
                bags,
                stratifiedKFold(
                  new Map(bags.infos.map((i) => [i.slideId, i.label])),
                  3,
                  0,
                  seed,
                ),
              )),
            1,
          ),
        )
        .pipeThrough(
          new TrainStream({
            runId: "chained",
            epochs: 2,
            seed,
            fold: 0,
            store,
            quiet: true,
            model: (infos) =>
              buildModel("gated_abmil", {
                ...MODEL,
                inputDim: infos[0]!.dim,
                numClasses: 2,
                seed,
              }),
          }),
        )
        .pipeThrough(
          new TransformStream<EpochEvent, EpochEvent>({
            transform(e, c) {
              events.push(e);
              c.enqueue(e);
            },
          }),
        )
        .pipeThrough(
          new ReportStream({ store, outDir, evaluate: { epoch: "best" } }),
        ),
    );
    return { events, report: report! };
  } finally {
    await encoder.close();
  }
}

/** Attention levels and predictions of a run, per slide and epoch, as stored. */
async function runRows(store: Store, run: string): Promise<string[]> {
  const rows = await store.query(
    `SELECT 'a' AS t, epoch, slide, split, list_transform(q, x -> x::INTEGER)::VARCHAR AS v, scale::VARCHAR AS s
     FROM attention_history WHERE run = $run
     UNION ALL
     SELECT 'p', epoch, slide, split, probabilities::VARCHAR, label::VARCHAR
     FROM predictions WHERE run = $run`,
    { run },
  );
  return rows.map((r) =>
    JSON.stringify([r.t, r.epoch, r.slide, r.split, r.v, r.s])
  )
    .sort();
}

const numbers = (e: EpochEvent) => ({
  epoch: e.epoch,
  lr: e.lr,
  losses: e.losses,
  val: e.val,
  test: e.test,
  jsDivergence: e.jsDivergence,
  best: e.best,
  bestEpoch: e.bestEpoch,
});

Deno.test("the chain of stages from mod.ts gives the numbers of asmil pipeline with the same seed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-chain-" });
  try {
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        seed: SEED,
        tile: { qc: false },
        train: {
          model: "gated_abmil",
          epochs: 2,
          folds: 3,
          modelOptions: MODEL,
        },
      }),
    );
    const ctx = await commandContext({
      db: join(dir, "pipeline", "asmil.duckdb"),
      config,
      quiet: true,
    });
    const piped = await runPipeline(ctx, {
      syntheticSlides: 6,
      syntheticSides: [1536],
      run: "chained",
    });
    const [run] = piped.runs;
    assert.equal(piped.runs.length, 1);

    // The same cohort (written again from the same seed), on a new store.
    await useBackend("auto", { quiet: true });
    const cohort = await writeSyntheticCohort({
      outDir: join(dir, "chain", "synthetic"),
      seed: SEED,
      slides: 6,
      sides: [1536],
    });
    const { labels } = await readLabelsCsv(cohort.labelsPath);
    const slides = cohort.slides.map((s) => ({ id: s.id, path: s.path }));
    const store = await openStore(join(dir, "chain", "asmil.duckdb"));
    const pipelineStore = await openStore(
      join(dir, "pipeline", "asmil.duckdb"),
      { readOnly: true },
    );
    try {
      const { events, report } = await chain(
        store,
        slides,
        labels,
        join(dir, "chain", "report"),
        SEED,
      );
      assert.equal(events.length, 2);
      assert.deepEqual(events.map(numbers), run!.train.events.map(numbers));
      const [evaluation] = report.evaluations;
      assert.equal(evaluation!.epoch, run!.evaluation.epoch);
      assert.deepEqual(evaluation!.splits, run!.evaluation.splits);
      assert.deepEqual(evaluation!.stability, run!.evaluation.stability);
      const rows = await runRows(store, "chained");
      assert.ok(rows.length > 0, "attention and predictions were recorded");
      assert.deepEqual(rows, await runRows(pipelineStore, "chained"));

      // The comparison can fail: another seed's split and training differ.
      const other = await chain(
        store,
        slides,
        labels,
        join(dir, "chain", "other"),
        SEED + 1,
      );
      assert.notDeepEqual(
        other.events.map(numbers),
        run!.train.events.map(numbers),
      );
    } finally {
      store.close();
      pipelineStore.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
