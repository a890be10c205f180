import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { classificationMetrics } from "../../stages/evaluate/metrics.ts";
import { tInterval } from "../../stages/evaluate/grouped_bootstrap.ts";
import {
  differencesCsv,
  experimentIntervals,
  intervalsMarkdown,
} from "./experiment_intervals.ts";

const N = 12; // test slides per run, half of each class

/** Probability of class 1 for slide i of a run; `good` runs separate the classes. */
function p1(i: number, good: boolean, seed: number): number {
  const label = i % 2;
  const noise = ((i * 7 + seed * 3) % 11) / 11;
  return good ? 0.25 + 0.5 * label + 0.2 * (noise - 0.5) : noise;
}

async function writeRun(
  store: Store,
  id: string,
  good: boolean,
  seed: number,
  figures: Record<string, number>,
  status = "finished",
) {
  await store.exec(
    "INSERT INTO runs (id, model, seed, fold, status) VALUES (?, 'm', ?, 0, ?)",
    [id, seed, status],
  );
  for (let i = 0; i < N; i++) {
    // Epoch 3 is the reported one; epoch 1 holds the opposite predictions.
    for (const [epoch, good1] of [[1, !good], [3, good]] as const) {
      const p = p1(i, good1, seed);
      await store.exec(
        `INSERT INTO predictions VALUES (?, ?, ?, 'test', [${
          1 - p
        }, ${p}]::FLOAT[], ?)`,
        [id, epoch, `s${seed}-${i}`, i % 2],
      );
    }
    // A validation slide, never part of the test figures.
    await store.exec(
      "INSERT INTO predictions VALUES (?, 3, ?, 'val', [0.5, 0.5]::FLOAT[], 1)",
      [id, `v${seed}-${i}`],
    );
  }
  await store.exec(
    "INSERT INTO metrics VALUES (?, 3, 'test', 'auc', 0, 0, 0)",
    [id],
  );
  for (const [name, value] of Object.entries(figures)) {
    await store.exec(
      "INSERT INTO metrics VALUES (?, NULL, 'all', ?, ?, NULL, NULL)",
      [id, name, value],
    );
  }
}

function expected(good: boolean, seed: number) {
  const probabilities = Array.from({ length: N }, (_, i) => {
    const p = p1(i, good, seed);
    return [1 - p, p];
  });
  const labels = probabilities.map((_, i) => i % 2);
  // The store keeps float32 probabilities.
  return classificationMetrics({
    probabilities: probabilities.map((p) => Float32Array.from(p)),
    labels,
  });
}

Deno.test("experimentIntervals() pairs anchored and unanchored runs by seed and fold at their reported epochs", async () => {
  const store = await Store.open(":memory:");
  try {
    const js = { none: [0.02, 0.03, 0.025], ema: [0.01, 0.012, 0.011] };
    for (const seed of [0, 1, 2]) {
      await writeRun(store, `exp.x.m.none.s${seed}.f0`, true, seed, {
        js_last_half: js.none[seed]!,
        final_effective_patches: 4 + seed,
      });
      await writeRun(store, `exp.x.m.ema.s${seed}.f0`, false, seed, {
        js_last_half: js.ema[seed]!,
        final_effective_patches: 6 + seed,
      });
    }
    // Unfinished runs and runs of other experiments are left out.
    await writeRun(store, "exp.x.m.ema.s9.f0", true, 9, {}, "running");
    await writeRun(store, "exp.y.m.none.s0.f0", false, 0, {});

    const result = await experimentIntervals(store, "x", [
      { model: "m", anchor: "none" },
      { model: "m", anchor: "ema" },
    ], { resamples: 400 });
    assert.deepEqual(
      result.configurations.map((c) => [c.anchor, c.runs, c.slides]),
      [["none", 3, 3 * N], ["ema", 3, 3 * N]],
    );
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const none = [0, 1, 2].map((s) => expected(true, s));
    const ema = [0, 1, 2].map((s) => expected(false, s));
    const [cNone, cEma] = result.configurations;
    assert.ok(
      Math.abs(cNone!.intervals.auc.value - mean(none.map((m) => m.auc))) <
        1e-12,
    );
    assert.ok(
      Math.abs(
        cEma!.intervals.macro_f1.value - mean(ema.map((m) => m.macroF1)),
      ) < 1e-12,
    );
    assert.ok(cNone!.intervals.auc.lo <= cNone!.intervals.auc.value);

    assert.equal(result.differences.length, 1);
    const d = result.differences[0]!;
    assert.equal(d.anchor, "ema");
    assert.equal(d.pairs, 3);
    const dAuc = mean(ema.map((m, s) => m.auc - none[s]!.auc));
    assert.ok(Math.abs(d.intervals.auc.value - dAuc) < 1e-12);
    assert.ok(
      d.intervals.auc.hi < 0,
      `paired AUC interval ${JSON.stringify(d.intervals.auc)}`,
    );
    const tJs = tInterval(js.ema.map((x, s) => x - js.none[s]!));
    assert.ok(Math.abs(d.intervals.js_last_half.value - tJs.value) < 1e-12);
    assert.ok(Math.abs(d.intervals.js_last_half.hi - tJs.hi) < 1e-12);
    // The log-scale comparison: mean ln(anchored ÷ none) over the pairs,
    // here ln(0.01/0.02), ln(0.012/0.03), ln(0.011/0.025).
    const logs = js.ema.map((x, s) => Math.log(x / js.none[s]!));
    const tLog = tInterval(logs);
    assert.ok(
      Math.abs(d.intervals.js_log_ratio.value - mean(logs)) < 1e-12 &&
        Math.abs(d.intervals.js_log_ratio.lo - tLog.lo) < 1e-12,
      `js_log_ratio ${JSON.stringify(d.intervals.js_log_ratio)}`,
    );
    assert.ok(d.intervals.js_log_ratio.hi < 0, "every pair halves JS or more");
    assert.equal(d.intervals.effective_patches.value, 2);
    assert.ok(Number.isNaN(d.intervals.localisation_auc.value));

    const md = intervalsMarkdown(result);
    assert.match(
      md,
      /\| m \| ema \| 3 \| [−-]0\.\d{3} \[[−-]0\.\d{3}, [−-]0\.\d{3}\] \* \|/,
    );
    const csv = differencesCsv(result.differences).trim().split("\n");
    assert.equal(csv.length, 2);
    assert.equal(csv[1]!.split(",").length, csv[0]!.split(",").length);
  } finally {
    store.close();
  }
});
