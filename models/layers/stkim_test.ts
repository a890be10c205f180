import assert from "node:assert/strict";
import { stkimMask } from "./stkim.ts";
import { Rng } from "../../core/random.ts";

Deno.test("stkimMask() masks floor(k·fraction) entries per row, all among the row's top k", () => {
  const rng = new Rng(1);
  for (const [rows, n, k] of [[5, 40, 10], [3, 7, 10], [2, 12, 3]] as const) {
    const scores = Float32Array.from({ length: rows * n }, () => rng.normal());
    const mask = stkimMask(scores, rows, n, k, 0.6, rng);
    const top = Math.min(k, n);
    for (let r = 0; r < rows; r++) {
      const row = [...scores.subarray(r * n, (r + 1) * n)];
      const threshold = [...row].sort((a, b) => b - a)[top - 1] as number;
      const masked = row.filter((_, i) => mask[r * n + i] === 1);
      assert.equal(masked.length, Math.floor(top * 0.6));
      for (const s of masked) {
        assert.ok(
          s >= threshold,
          `masked ${s} below top-${top} threshold ${threshold}`,
        );
      }
    }
  }
});

Deno.test("stkimMask() draws different subsets from the rng and the same from the same seed", () => {
  const scores = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
  const draws = new Set<string>();
  for (let seed = 0; seed < 10; seed++) {
    const a = stkimMask(scores, 1, 30, 10, 0.6, new Rng(seed));
    assert.deepEqual(stkimMask(scores, 1, 30, 10, 0.6, new Rng(seed)), a);
    draws.add(a.join(""));
  }
  assert.ok(draws.size > 5);
});

Deno.test("stkimMask() masks nothing when floor(k·fraction) is 0", () => {
  const mask = stkimMask(new Float32Array([1]), 1, 1, 10, 0.6, new Rng(1));
  assert.deepEqual([...mask], [0]);
  assert.throws(
    () => stkimMask(new Float32Array(3), 2, 2, 10, 0.6, new Rng(1)),
    /expects 2×2 = 4 scores: got 3/,
  );
});
