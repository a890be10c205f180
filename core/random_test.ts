import assert from "node:assert/strict";
import { Rng } from "./random.ts";

Deno.test("Rng gives the same stream for the same seed", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
});

Deno.test("Rng.int() stays within its bound and covers it", () => {
  const r = new Rng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const v = r.int(7);
    assert.ok(v >= 0 && v < 7);
    seen.add(v);
  }
  assert.equal(seen.size, 7);
  assert.throws(() => r.int(0), /positive integer bound: current value is 0/);
});

Deno.test("Rng.normal() has roughly zero mean and unit variance", () => {
  const r = new Rng(3);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`);
});

Deno.test("Rng.shuffle() permutes deterministically", () => {
  const a = new Rng(9).shuffle([1, 2, 3, 4, 5, 6]);
  const b = new Rng(9).shuffle([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort(), [1, 2, 3, 4, 5, 6]);
});

Deno.test("Rng resumes exactly from a saved state", () => {
  const a = new Rng(5);
  a.next();
  const saved = a.state;
  const xs = [a.next(), a.next()];
  const b = new Rng(0);
  b.state = saved;
  assert.deepEqual([b.next(), b.next()], xs);
});

Deno.test("Rng.fillUint32() gives the nextUint32() stream and leaves the state where it would be", () => {
  const a = new Rng(11), b = new Rng(11);
  for (const n of [1, 7, 100_003]) {
    const bulk = a.fillUint32(new Uint32Array(n));
    for (let i = 0; i < n; i++) assert.equal(bulk[i], b.nextUint32());
    assert.equal(a.state, b.state);
  }
  assert.equal(a.next(), b.next());
});
