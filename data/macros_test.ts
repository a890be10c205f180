import assert from "node:assert/strict";
import { Store } from "./store.ts";
import { storedAttention } from "./attention_quantise.ts";

const EPS = 1e-8;
const ln = Math.log;

function js(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const m = ((p[i] as number) + (q[i] as number)) / 2;
    s += (p[i] as number) * (ln((p[i] as number) + EPS) - ln(m + EPS));
    s += (q[i] as number) * (ln((q[i] as number) + EPS) - ln(m + EPS));
  }
  return s / 2;
}

async function scalar(store: Store, sql: string): Promise<unknown> {
  const rows = await store.query(`SELECT ${sql} AS v`);
  return rows[0]?.v;
}

Deno.test("js_divergence() matches the value computed by hand", async () => {
  const store = await Store.open(":memory:");
  // p = [0.5, 0.5], q = [1, 0]: m = [0.75, 0.25]
  // JS = ½(0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25)) + ½(1 · ln(1/0.75)) = 0.2158…
  const byHand = 0.5 * (0.5 * ln(0.5 / 0.75) + 0.5 * ln(0.5 / 0.25)) +
    0.5 * ln(1 / 0.75);
  const v = await scalar(store, "js_divergence([0.5, 0.5], [1.0, 0.0])");
  assert.ok(Math.abs((v as number) - byHand) < 1e-6, `${v} vs ${byHand}`);
  assert.ok(Math.abs((v as number) - js([0.5, 0.5], [1, 0])) < 1e-7);
  assert.equal(await scalar(store, "js_divergence([0.2, 0.8], [0.2, 0.8])"), 0);
  // Symmetric, bounded by ln 2.
  const a = await scalar(
    store,
    "js_divergence([0.1, 0.6, 0.3], [0.7, 0.2, 0.1])",
  );
  const b = await scalar(
    store,
    "js_divergence([0.7, 0.2, 0.1], [0.1, 0.6, 0.3])",
  );
  assert.ok(Math.abs((a as number) - (b as number)) < 1e-12);
  assert.ok(
    Math.abs((a as number) - js([0.1, 0.6, 0.3], [0.7, 0.2, 0.1])) < 1e-7,
  );
  const max = await scalar(store, "js_divergence([1.0, 0.0], [0.0, 1.0])");
  assert.ok(Math.abs((max as number) - ln(2)) < 1e-6);
  assert.equal(await scalar(store, "js_divergence([1.0], [0.5, 0.5])"), null);
  store.close();
});

Deno.test("attention_entropy() and effective_patches() match hand values", async () => {
  const store = await Store.open(":memory:");
  const h = await scalar(store, "attention_entropy([0.25, 0.25, 0.25, 0.25])");
  assert.ok(Math.abs((h as number) - ln(4)) < 1e-6);
  const e = await scalar(store, "effective_patches([0.25, 0.25, 0.25, 0.25])");
  assert.ok(Math.abs((e as number) - 4) < 1e-5);
  const h2 = await scalar(store, "attention_entropy([1.0, 0.0])");
  assert.ok(Math.abs(h2 as number) < 1e-7);
  const h3 = await scalar(store, "attention_entropy([0.7, 0.2, 0.1])");
  const byHand = -(0.7 * ln(0.7) + 0.2 * ln(0.2) + 0.1 * ln(0.1));
  assert.ok(Math.abs((h3 as number) - byHand) < 1e-6);
  store.close();
});

Deno.test("topk_overlap() counts the shared top-k entries", async () => {
  const store = await Store.open(":memory:");
  // top-2 of p = {idx 4, idx 1}; of q = {idx 4, idx 2} → 1/2
  assert.equal(
    await scalar(
      store,
      "topk_overlap([0.3, 0.1, 0.1, 0.5], [0.1, 0.3, 0.1, 0.5], 2)",
    ),
    0.5,
  );
  assert.equal(
    await scalar(store, "topk_overlap([0.3, 0.2, 0.5], [0.3, 0.2, 0.5], 2)"),
    1,
  );
  assert.equal(
    await scalar(store, "topk_overlap([0.9, 0.1], [0.1, 0.9], 1)"),
    0,
  );
  store.close();
});

Deno.test("attention_stability has one row per slide and epoch, uniform at the first", async () => {
  const store = await Store.open(":memory:");
  const e0 = [0.7, 0.2, 0.1], e1 = [0.6, 0.3, 0.1], e2 = [0.6, 0.3, 0.1];
  await store.transaction((tx) =>
    tx.appendAttention([
      { run: "r", epoch: 0, slide: "a", split: "val", scores: e0 },
      { run: "r", epoch: 1, slide: "a", split: "val", scores: e1 },
      { run: "r", epoch: 2, slide: "a", split: "val", scores: e2 },
      { run: "r", epoch: 0, slide: "b", split: "val", scores: [0.5, 0.5] },
      { run: "other", epoch: 0, slide: "a", scores: e0 },
    ])
  );
  const rows = await store.query(
    "SELECT slide, epoch, js_divergence FROM attention_stability WHERE run = ? ORDER BY slide, epoch",
    ["r"],
  );
  assert.equal(rows.length, 4);
  // As the store keeps them: 16-bit with a per-row scale, read as float32.
  const f32 = (xs: number[]) =>
    Array.from(storedAttention(new Float32Array(xs)));
  const expected = [
    js([1 / 3, 1 / 3, 1 / 3].map(Math.fround), f32(e0)),
    js(f32(e0), f32(e1)),
    0,
    0,
  ];
  rows.forEach((r, i) =>
    assert.ok(
      Math.abs((r.js_divergence as number) - (expected[i] as number)) < 1e-6,
      `row ${i}: ${r.js_divergence} vs ${expected[i]}`,
    )
  );
  store.close();
});
