import assert from "node:assert/strict";
import { fewSlidesNote, withCi, withCiOf } from "./_format.ts";
import { fakeRunStore } from "../../testing/fake_run.ts";
import { evaluateRun } from "./evaluate_run.ts";
import {
  comparisonTable,
  metricsTable,
  slideTable,
  stabilityTable,
} from "./report_tables.ts";

async function evaluation() {
  const store = await fakeRunStore({ slides: 9, epochs: 4, seed: 3 });
  const e = await evaluateRun({
    store,
    run: "r",
    write: false,
    bootstrap: { resamples: 50 },
  });
  store.close();
  return e;
}

Deno.test("metricsTable() and comparisonTable() show test first with intervals", async () => {
  const e = await evaluation();
  const m = metricsTable(e);
  assert.deepEqual(m.rows.map((r) => r[0]), ["test", "val", "train"]);
  const test = e.splits.find((s) => s.split === "test")!;
  // 9 slides: every split has fewer than 5 of a class, so each interval is
  // marked and the note under the table says why.
  assert.equal(m.rows[0]![4], `${withCi(test.ci.auc)} †`);
  assert.match(
    m.notes?.[0] ?? "",
    /^† not meaningful: fewer than 5 slides of a class \(test: class 0 \d, class 1 \d; val: .*; train: .*\)/,
  );
  const compared = comparisonTable([e]);
  assert.equal(compared.rows[0]![4], `${withCi(test.ci.auc)} †`);
  assert.match(compared.notes?.[0] ?? "", /\(r test: class 0 \d, class 1 \d\)/);
});

Deno.test("withCiOf() marks intervals only when a class has fewer than 5 slides", () => {
  const m = (confusion: number[][]) =>
    ({ confusion }) as Parameters<typeof withCiOf>[1];
  const i = { value: 0.8, lo: 0.6, hi: 0.9 };
  assert.equal(withCiOf(i, m([[5, 0], [1, 4]])), "0.800 [0.600, 0.900]");
  assert.equal(withCiOf(i, m([[5, 0], [1, 3]])), "0.800 [0.600, 0.900] †");
  assert.equal(
    fewSlidesNote([{ split: "val", metrics: m([[1, 0], [0, 0]]) }]),
    "† not meaningful: fewer than 5 slides of a class (val: class 0 1, class 1 0); the interval only says the split is too small",
  );
  assert.equal(
    fewSlidesNote([{ split: "val", metrics: m([[5, 0], [0, 5]]) }]),
    undefined,
  );
});

Deno.test("stabilityTable() has a row per split plus all, and localisation where tiles are labelled", async () => {
  const e = await evaluation();
  const t = stabilityTable(e);
  assert.deepEqual(t.rows.map((r) => r[0]), [
    "all",
    "test",
    "train",
    "val",
    "localisation AUC at epoch 4",
  ]);
  // 4 positive slides of 9 (odd indices) have tumour tiles.
  assert.equal(t.rows[4]![1], "4");
});

Deno.test("slideTable() lists slides most stable first and elides the middle beyond the limit", async () => {
  const e = await evaluation();
  const all = slideTable(e);
  assert.equal(all.rows.length, 9);
  assert.deepEqual(all.rows.map((r) => r[0]), e.slides.map((s) => s.slide));
  // Localisation AUC only for positive slides (odd numbers).
  for (const row of all.rows) {
    const positive = Number(row[0]!.slice(-2)) % 2 === 1;
    assert.equal(row[5] !== "–", positive, `${row[0]}: ${row[5]}`);
  }
  const short = slideTable(e, 4);
  assert.deepEqual(short.rows.map((r) => r[0]), [
    e.slides[0]!.slide,
    e.slides[1]!.slide,
    "… 5 more",
    e.slides[7]!.slide,
    e.slides[8]!.slide,
  ]);
});
