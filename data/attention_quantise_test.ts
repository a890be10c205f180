import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import {
  effectivePatches,
  jsDivergence,
  topkOverlap,
} from "../stages/evaluate/attention_measures.ts";
import { quantiseAttention, storedAttention } from "./attention_quantise.ts";
import { Store } from "./store.ts";

/** A softmax distribution over `n` tiles with logits of spread `sharpness`. */
function distribution(n: number, sharpness: number, rng: Rng): Float32Array {
  const logits = Array.from({ length: n }, () => sharpness * rng.normal());
  const max = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return Float32Array.from(e, (x) => x / sum);
}

Deno.test("16-bit attention keeps JS divergence, effective patches and top-k overlap to 1e-3", () => {
  const rng = new Rng(7);
  // From near-uniform to focal, over 10,000 tiles, the sizes a WSI gives.
  for (const sharpness of [0.01, 0.5, 2, 5]) {
    const p = distribution(10_000, sharpness, rng);
    const q = distribution(10_000, sharpness, rng);
    const [ps, qs] = [storedAttention(p), storedAttention(q)];
    assert.ok(
      Math.abs(jsDivergence(ps, qs) - jsDivergence(p, q)) < 1e-3,
      `JS at sharpness ${sharpness}`,
    );
    const e = effectivePatches(p);
    assert.ok(
      Math.abs(effectivePatches(ps) - e) < 1e-3 * e,
      `effective patches at sharpness ${sharpness}`,
    );
    assert.ok(
      Math.abs(topkOverlap(ps, qs, 10) - topkOverlap(p, q, 10)) <= 0.1 + 1e-9,
      "at most one tie among the top 10 may change",
    );
  }
});

Deno.test("quantiseAttention() shares one scale across rows and refuses negative or non-finite values", () => {
  const { scale, rows } = quantiseAttention([[0.5, 0.25], [1, 0, 1e-12]]);
  assert.equal(scale, 1);
  assert.deepEqual(Array.from(rows[0]!), [65535 - 2048, 65535 - 4096]);
  assert.deepEqual(Array.from(rows[1]!), [65535, 0, 0], "below 2^-32 is 0");
  assert.throws(
    () => quantiseAttention([[0.5, -0.1]]),
    /non-negative: got -0.1/,
  );
  assert.throws(() => quantiseAttention([[NaN]]), /finite/);
});

Deno.test("the attention view gives back what storedAttention() computes", async () => {
  const store = await Store.open(":memory:");
  const p = distribution(500, 3, new Rng(3));
  await store.transaction((tx) =>
    tx.appendAttention([{ run: "r", epoch: 0, slide: "s", scores: p }])
  );
  const [row] = await store.query("SELECT scores FROM attention");
  const expected = storedAttention(p);
  (row!.scores as number[]).forEach((v, i) =>
    assert.ok(
      Math.abs(v - expected[i]!) <= 1e-7 * expected[i]!,
      `${i}: ${v} vs ${expected[i]}`,
    )
  );
  store.close();
});
