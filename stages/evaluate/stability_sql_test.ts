import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import {
  fakeRunStore,
  fakeSlides,
  writeFakeRun,
} from "../../testing/fake_run.ts";
import { loadLocalisation } from "./localisation.ts";
import {
  loadSlideStability,
  runStability,
  slideSummaries,
} from "./stability.ts";
import { installStabilitySql } from "../../data/stability_sql.ts";

/** Equal within `tol`, with null and NaN both meaning "undefined". */
function same(sql: unknown, ts: number | null, what: string, tol = 1e-6) {
  const undefinedSql = sql === null || Number.isNaN(sql);
  const undefinedTs = ts === null || Number.isNaN(ts);
  assert.equal(undefinedSql, undefinedTs, `${what}: SQL ${sql} vs TS ${ts}`);
  if (!undefinedTs) {
    assert.ok(
      Math.abs((sql as number) - ts!) <= tol * Math.max(1, Math.abs(ts!)),
      `${what}: SQL ${sql} vs TS ${ts}`,
    );
  }
}

async function fakeStore(): Promise<Store> {
  const store = await fakeRunStore({
    run: "r1",
    slides: 6,
    epochs: 7,
    seed: 3,
  });
  await installStabilitySql(store);
  await writeFakeRun(store, {
    run: "r2",
    slides: fakeSlides(6),
    epochs: 5,
    seed: 4,
    settling: 0.3,
  });
  return store;
}

Deno.test("spearman_rank() and average_ranks() in SQL match hand values", async () => {
  const store = await Store.open(":memory:");
  await installStabilitySql(store);
  const [row] = await store.query(
    `SELECT average_ranks([0.3, 0.1, 0.3, 0.5]) AS ranks,
       spearman_rank([0.1, 0.2, 0.3, 0.4], [0.1, 0.3, 0.2, 0.4]) AS a,
       spearman_rank([0.25, 0.25], [0.1, 0.9]) AS b,
       spearman_rank([0.5, 0.5], [0.2, 0.3, 0.5]) AS c`,
  );
  assert.deepEqual(row!.ranks, [2.5, 1, 2.5, 4]);
  same(row!.a, 0.8, "spearman", 1e-12);
  assert.ok(Number.isNaN(row!.b));
  assert.equal(row!.c, null);
  store.close();
});

Deno.test("attention_stability_full agrees with slideStability() on every slide and epoch", async () => {
  const store = await fakeStore();
  for (const run of ["r1", "r2"]) {
    const ts = await loadSlideStability(store, run, { k: 3 });
    const sql = await store.query(
      `SELECT * FROM attention_stability_full(k := 3) WHERE run = $run
       ORDER BY slide, epoch`,
      { run },
    );
    assert.equal(sql.length, ts.length);
    assert.equal(sql.length, 6 * (run === "r1" ? 7 : 5));
    sql.forEach((s, i) => {
      const t = ts[i]!;
      const at = `${run}/${t.slide}/${t.epoch}`;
      assert.deepEqual([s.slide, s.epoch, s.split, s.patches], [
        t.slide,
        t.epoch,
        t.split,
        t.patches,
      ]);
      same(s.js_divergence, t.jsDivergence, `js ${at}`);
      same(s.entropy, t.entropy, `entropy ${at}`);
      same(s.effective_patches, t.effectivePatches, `effective ${at}`);
      same(s.topk_overlap, t.topkOverlap, `topk ${at}`, 0);
      same(s.spearman, t.spearman, `spearman ${at}`, 1e-9);
    });
    // The scalar macro gives the view's Spearman too.
    const scalar = await store.query(
      `SELECT spearman_rank(lag(scores) OVER (PARTITION BY slide ORDER BY epoch), scores) AS r
       FROM attention WHERE run = $run ORDER BY slide, epoch`,
      { run },
    );
    scalar.forEach((s, i) =>
      same(s.r, ts[i]!.spearman, `scalar spearman ${i}`, 1e-9)
    );
    // Not all trivial: the first epoch's ties make Spearman differ from 1.
    assert.ok(
      ts.some((t) => t.spearman !== null && Math.abs(t.spearman) < 0.99),
    );
  }
  store.close();
});

Deno.test("run_stability() and slide_stability() agree with runStability() and slideSummaries()", async () => {
  const store = await fakeStore();
  for (const threshold of [0.01, 0.001]) {
    const ts = [
      ...runStability(await loadSlideStability(store, "r1"), threshold),
      ...runStability(await loadSlideStability(store, "r2"), threshold),
    ];
    const sql = await store.query(
      `SELECT * FROM run_stability(threshold := ${threshold})
       ORDER BY run, split <> 'all', split`,
    );
    assert.equal(sql.length, ts.length);
    assert.equal(sql.length, 2 * 4);
    sql.forEach((s, i) => {
      const t = ts[i]!;
      assert.deepEqual(
        [s.run, s.split, s.epochs, s.slides, s.settling_epoch],
        [t.run, t.split, t.epochs, t.slides, t.settlingEpoch],
      );
      same(s.mean_js_last_half, t.meanJsLastHalf, "mean js last half");
      same(s.final_entropy, t.finalEntropy, "final entropy");
      same(
        s.final_effective_patches,
        t.finalEffectivePatches,
        "final effective",
      );
    });
    if (threshold === 0.01) {
      // r1 settles (epoch 3 with this seed), r2 (slower) does not.
      const settling = ts.filter((t) => t.split === "all").map((t) =>
        t.settlingEpoch
      );
      assert.deepEqual(settling, [3, null]);
    }
  }
  const summaries = slideSummaries(await loadSlideStability(store, "r1"));
  const sql = await store.query(
    `SELECT * FROM slide_stability() WHERE run = 'r1' ORDER BY mean_js_last_half`,
  );
  assert.deepEqual(sql.map((s) => s.slide), summaries.map((s) => s.slide));
  sql.forEach((s, i) =>
    same(s.mean_js_last_half, summaries[i]!.meanJsLastHalf, "slide js")
  );
  store.close();
});

Deno.test("attention_localisation agrees with loadLocalisation() on slides with tumour tiles", async () => {
  const store = await fakeStore();
  const ts = await loadLocalisation(store, "r1");
  const sql = await store.query(
    `SELECT * FROM attention_localisation WHERE run = 'r1' ORDER BY slide, epoch`,
  );
  // Positive slides are the odd ones: 3 of 6, 7 epochs each.
  assert.equal(ts.length, 3 * 7);
  assert.equal(sql.length, ts.length);
  sql.forEach((s, i) => {
    const t = ts[i]!;
    assert.deepEqual([s.slide, s.epoch, s.positives, s.negatives], [
      t.slide,
      t.epoch,
      t.positives,
      t.negatives,
    ]);
    same(s.auc, t.auc, `auc ${t.slide}/${t.epoch}`, 1e-12);
  });
  // Attention learns the tumour: localisation at the last epoch beats the first.
  const mean = (e: number) =>
    ts.filter((t) => t.epoch === e).reduce((s, t) => s + t.auc, 0) / 3;
  assert.ok(mean(6) > mean(0) && mean(6) > 0.9, `${mean(0)} → ${mean(6)}`);
  store.close();
});
