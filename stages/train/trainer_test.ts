import assert from "node:assert/strict";
import { featureBags } from "../../data/feature_bags.ts";
import { Store } from "../../data/store.ts";
import { createModel } from "../../models/all.ts";
import { buildModel } from "../../models/anchor_factory.ts";
import { useBackendFromEnv } from "../../models/backend/mod.ts";
import { type EpochEvent, trainModel } from "./trainer.ts";
import type { Bag } from "../../core/types.ts";

await useBackendFromEnv({ quiet: true });

const easy = featureBags({ count: 60, dim: 16, shift: 5, seed: 3 });

function model(seed = 1) {
  return createModel("gated_abmil", {
    inputDim: 16,
    numClasses: 2,
    innerDim: 32,
    attentionDim: 16,
    seed,
  });
}

async function train(
  bags: Bag[],
  opts: Partial<Parameters<typeof trainModel>[2]> = {},
  seed = 1,
): Promise<EpochEvent[]> {
  const m = model(seed);
  try {
    return await Array.fromAsync(
      trainModel(m, bags, {
        runId: "r",
        epochs: 6,
        lr: 5e-3,
        seed,
        quiet: true,
        ...opts,
      }),
    );
  } finally {
    m.dispose();
  }
}

Deno.test("trainModel() learns an easy problem (val AUC ≥ 0.95)", async () => {
  const events = await train(easy);
  assert.equal(events.length, 6);
  const last = events.at(-1)!;
  assert.ok(last.val!.auc >= 0.95, `val AUC ${last.val!.auc}`);
  assert.ok(last.losses.total! < events[0]!.losses.total!, "loss went down");
  assert.ok(last.lr < 5e-3 * 0.1, `cosine schedule ends near 0: ${last.lr}`);
  assert.ok(events.some((e) => e.best));
});

Deno.test("trainModel() gives identical numbers for the same seed", async () => {
  const strip = (es: EpochEvent[]) =>
    es.map((e) => ({ l: e.losses, v: e.val, t: e.test, js: e.jsDivergence }));
  const a = await train(easy, { epochs: 3 });
  const b = await train(easy, { epochs: 3 });
  assert.deepEqual(strip(a), strip(b));
  const c = await train(easy, { epochs: 3, seed: 2 });
  assert.notDeepEqual(strip(a), strip(c));
});

Deno.test("a run killed after epoch k resumes at k+1 and ends with the same numbers", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "asmil-train-" });
  const dbA = await Store.open(":memory:");
  const whole = await train(easy, {
    epochs: 5,
    store: dbA,
    outDir: `${outDir}/a`,
    runId: "w",
  });
  const dbB = await Store.open(":memory:");
  const first = await train(easy, {
    epochs: 5,
    store: dbB,
    outDir: `${outDir}/b`,
    runId: "k",
    stopAfterEpoch: 1,
  });
  assert.equal(first.length, 2);
  const notes: string[] = [];
  const rest = await train(easy, {
    epochs: 5,
    store: dbB,
    outDir: `${outDir}/b`,
    runId: "k",
    onLog: (m) => notes.push(m),
  });
  assert.deepEqual(rest.map((e) => e.epoch), [2, 3, 4]);
  assert.match(notes[0]!, /resuming run k after epoch 2\/5/);
  const strip = (e: EpochEvent) => ({
    l: e.losses,
    v: e.val,
    t: e.test,
    js: e.jsDivergence,
  });
  assert.deepEqual([...first, ...rest].map(strip), whole.map(strip));
  const attention = async (db: Store, run: string) =>
    (await db.query(
      "SELECT epoch, slide, scores FROM attention WHERE run = ? ORDER BY epoch, slide",
      [run],
    )).map((r) => [r.epoch, r.slide, r.scores]);
  assert.deepEqual(await attention(dbB, "k"), await attention(dbA, "w"));
  const status = await dbB.query("SELECT status FROM runs WHERE id = 'k'");
  assert.equal(status[0]?.status, "finished");
  for (const f of ["checkpoint.bin", "best.weights", "last.weights"]) {
    await Deno.stat(`${outDir}/b/k/${f}`);
  }
  dbA.close();
  dbB.close();
});

Deno.test("attention_stability has one row per evaluated slide and epoch after a run", async () => {
  const store = await Store.open(":memory:");
  await train(easy, { epochs: 3, store, runId: "s" });
  const evaluated = easy.filter((b) => b.split !== "train").length;
  const rows = await store.query(
    "SELECT slide, epoch, js_divergence FROM attention_stability WHERE run = ?",
    ["s"],
  );
  assert.equal(rows.length, evaluated * 3);
  assert.ok(rows.every((r) => Number.isFinite(r.js_divergence as number)));
  const sums = await store.query(
    "SELECT min(list_sum(scores)) lo, max(list_sum(scores)) hi FROM attention WHERE run = 's'",
  );
  assert.ok(Math.abs((sums[0]!.lo as number) - 1) < 1e-4);
  assert.ok(Math.abs((sums[0]!.hi as number) - 1) < 1e-4);
  const preds = await store.query(
    "SELECT count(*) n FROM predictions WHERE run = 's'",
  );
  assert.equal(preds[0]!.n, evaluated * 3);
  const epochs = await store.query(
    "SELECT epoch, metrics->>'$.val.auc' AS auc FROM epochs WHERE run = 's' ORDER BY epoch",
  );
  assert.equal(epochs.length, 3);
  store.close();
});

Deno.test("trainModel() rejects bags of the wrong dimension, naming the slide", async () => {
  const bad = featureBags({ count: 6, dim: 8, seed: 1 });
  await assert.rejects(
    train(bad),
    /Slide "bag-?\w*" has 8-dimensional features, the model expects 16/,
  );
});

Deno.test("an anchored run with a warm-up and a momentum ramp resumes with the same numbers", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "asmil-train-" });
  const run = async (runId: string, store: Store, stopAfterEpoch?: number) => {
    const m = buildModel("gated_abmil", {
      inputDim: 16,
      numClasses: 2,
      innerDim: 32,
      attentionDim: 16,
      seed: 1,
      anchor: {
        preset: "stable",
        warmupEpochs: 1,
        momentumRamp: 2,
        momentumStart: 0.9,
      },
    });
    try {
      return await Array.fromAsync(trainModel(m, easy, {
        runId,
        epochs: 4,
        lr: 5e-3,
        seed: 1,
        quiet: true,
        store,
        outDir,
        ...(stopAfterEpoch === undefined ? {} : { stopAfterEpoch }),
      }));
    } finally {
      m.dispose();
    }
  };
  const dbA = await Store.open(":memory:"), dbB = await Store.open(":memory:");
  const whole = await run("w", dbA);
  const first = await run("k", dbB, 0);
  const rest = await run("k", dbB);
  const strip = (e: EpochEvent) => ({ l: e.losses, v: e.val, t: e.test });
  assert.deepEqual([...first, ...rest].map(strip), whole.map(strip));
  assert.equal(whole[0]!.losses.anchor, 0, "warm-up epoch: no anchor term");
  assert.ok(whole[1]!.losses.anchor! > 0);
  dbA.close();
  dbB.close();
  await Deno.remove(outDir, { recursive: true });
});
