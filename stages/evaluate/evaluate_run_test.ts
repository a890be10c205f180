import assert from "node:assert/strict";
import type { Store } from "../../data/store.ts";
import { fakeRunStore } from "../../testing/fake_run.ts";
import { evaluateRun } from "./evaluate_run.ts";

function fakeStore(): Promise<Store> {
  return fakeRunStore({ slides: 9, epochs: 6, seed: 5 });
}

Deno.test("evaluateRun() stores metrics and stability figures that the installed SQL reproduces", async () => {
  const store = await fakeStore();
  const e = await evaluateRun({
    store,
    run: "r",
    bootstrap: { resamples: 200 },
  });
  assert.equal(e.epoch, 5);
  assert.equal(e.run.model, "asmil");
  assert.deepEqual(e.run.config, { model: "asmil", epochs: 6, lr: 2e-4 });
  assert.deepEqual(e.splits.map((s) => s.split), ["test", "train", "val"]);
  assert.equal(e.curve.length, 6 * 3);
  assert.deepEqual(Object.keys(e.losses[0]!.losses), ["total", "ce", "anchor"]);
  assert.ok(e.roc.every((c) => c.points.length >= 2));
  // Stability rows in `metrics` equal the SQL view computed over the store.
  const sql = await store.query(
    `SELECT split, mean_js_last_half, settling_epoch FROM run_stability() WHERE run = 'r' ORDER BY split`,
  );
  const stored = await store.query(
    `SELECT split, name, value FROM metrics WHERE run = 'r' AND epoch IS NULL ORDER BY split, name`,
  );
  for (const row of sql) {
    const js = stored.find((m) =>
      m.split === row.split && m.name === "js_last_half"
    );
    const settling = stored.find((m) =>
      m.split === row.split && m.name === "settling_epoch"
    );
    assert.ok(
      Math.abs((js!.value as number) - (row.mean_js_last_half as number)) <
        1e-6,
    );
    assert.equal(settling!.value, row.settling_epoch);
  }
  assert.equal(sql.length, 4);
  // Localisation at the reported epoch matches the SQL view's mean.
  const [loc] = await store.query(
    `SELECT avg(auc) AS auc FROM attention_localisation WHERE run = 'r' AND epoch = 5`,
  );
  const [locStored] = await store.query(
    `SELECT value FROM metrics WHERE run = 'r' AND name = 'localisation_auc'`,
  );
  assert.ok(
    Math.abs((loc!.auc as number) - (locStored!.value as number)) < 1e-12,
  );
  // The AUC with its interval is stored for every split.
  const auc = await store.query(
    `SELECT split, value, lo, hi FROM metrics WHERE run = 'r' AND name = 'auc' ORDER BY split`,
  );
  assert.equal(auc.length, 3);
  for (const a of auc) {
    assert.ok(
      (a.lo as number) <= (a.value as number) &&
        (a.value as number) <= (a.hi as number),
    );
  }
  store.close();
});

Deno.test("evaluateRun() with write false leaves the store as it was", async () => {
  const store = await fakeStore();
  await evaluateRun({
    store,
    run: "r",
    write: false,
    bootstrap: { resamples: 50 },
  });
  const [count] = await store.query("SELECT count(*) AS n FROM metrics");
  assert.equal(count!.n, 0);
  store.close();
});

Deno.test("evaluateRun() names the known runs when the run is missing", async () => {
  const store = await fakeStore();
  await assert.rejects(
    evaluateRun({ store, run: "nope" }),
    /"nope": it is not in the store \(runs: r\)/,
  );
  store.close();
});
