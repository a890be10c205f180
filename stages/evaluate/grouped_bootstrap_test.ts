import assert from "node:assert/strict";
import { Rng } from "../../core/random.ts";
import { groupedBootstrap, tInterval } from "./grouped_bootstrap.ts";
import { bootstrapMetrics, classificationMetrics } from "./metrics.ts";

const mean = (xs: readonly number[]) =>
  xs.reduce((s, x) => s + x, 0) / xs.length;

Deno.test("groupedBootstrap() on one group without group draws is the stratified bootstrap of bootstrapMetrics()", () => {
  const rng = new Rng(3);
  const labels = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const probabilities = labels.map((y) => {
    const p = Math.min(
      1,
      Math.max(0, 0.35 + 0.3 * y + 0.4 * (rng.next() - 0.5)),
    );
    return [1 - p, p];
  });
  const expected = bootstrapMetrics({ probabilities, labels }, {
    resamples: 300,
    seed: 7,
  });
  const items = labels.map((label, i) => ({ label, p: probabilities[i]! }));
  const [auc, f1] = groupedBootstrap(
    [{ items, strata: labels }],
    (xs) => {
      const m = classificationMetrics({
        probabilities: xs.map((x) => x.p),
        labels: xs.map((x) => x.label),
      });
      return [m.auc, m.macroF1];
    },
    { resamples: 300, seed: 7, resampleGroups: false },
  );
  assert.equal(auc!.value, expected.auc.value);
  assert.equal(auc!.lo, expected.auc.lo);
  assert.equal(auc!.hi, expected.auc.hi);
  assert.equal(f1!.lo, expected.macroF1.lo);
  assert.equal(f1!.hi, expected.macroF1.hi);
});

Deno.test("groupedBootstrap() carries the spread between groups into the interval", () => {
  const groups = [{ items: [0, 0, 0] }, { items: [10, 10, 10] }];
  const [within] = groupedBootstrap(groups, (xs) => [mean(xs)], {
    resamples: 400,
    resampleGroups: false,
  });
  assert.deepEqual([within!.value, within!.lo, within!.hi], [5, 5, 5]);
  const [between] = groupedBootstrap(groups, (xs) => [mean(xs)], {
    resamples: 400,
  });
  assert.equal(between!.value, 5);
  assert.equal(between!.lo, 0);
  assert.equal(between!.hi, 10);
  assert.equal(between!.groups, 2);
});

Deno.test("groupedBootstrap() intervals cover the true mean about as often as they claim", () => {
  // 5 runs, each with its own offset ~ N(0, 1) and 20 items ~ N(offset, 1);
  // the true mean is 0. An interval that ignored the runs' spread would
  // cover it far less often than 95 %.
  const rng = new Rng(11);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - rng.next())) *
    Math.cos(2 * Math.PI * rng.next());
  let covered = 0;
  const trials = 120;
  for (let t = 0; t < trials; t++) {
    const groups = Array.from({ length: 5 }, () => {
      const offset = normal();
      return { items: Array.from({ length: 20 }, () => offset + normal()) };
    });
    const [m] = groupedBootstrap(groups, (xs) => [mean(xs)], {
      resamples: 300,
      seed: t,
    });
    if (m!.lo <= 0 && 0 <= m!.hi) covered++;
  }
  const rate = covered / trials;
  assert.ok(rate >= 0.75 && rate <= 1, `coverage ${rate}`);
});

Deno.test("groupedBootstrap() of a paired difference of identical arms is exactly 0", () => {
  const items = [0.1, 0.4, 0.8, 0.3].map((p, i) => ({ a: p, b: p, y: i % 2 }));
  const [d] = groupedBootstrap(
    [{ items, strata: items.map((x) => x.y) }, { items }],
    (xs) => [mean(xs.map((x) => x.a)) - mean(xs.map((x) => x.b))],
    { resamples: 100 },
  );
  assert.deepEqual([d!.value, d!.lo, d!.hi], [0, 0, 0]);
});

Deno.test("groupedBootstrap() leaves NaN components out and is deterministic per seed", () => {
  const groups = [{ items: [1, 2] }, { items: [3, 4] }];
  const stat = (xs: readonly number[]) => [mean(xs), NaN];
  const a = groupedBootstrap(groups, stat, { resamples: 50, seed: 4 });
  const b = groupedBootstrap(groups, stat, { resamples: 50, seed: 4 });
  assert.deepEqual(a, b);
  assert.ok(Number.isNaN(a[1]!.value));
  assert.equal(a[1]!.resamples, 0);
  assert.throws(() => groupedBootstrap([], stat), /at least one group/);
  assert.throws(
    () => groupedBootstrap([{ items: [1], strata: [0, 1] }], stat),
    /1 items but 2 strata/,
  );
  assert.throws(() => groupedBootstrap(groups, stat, { level: 1 }), /level/);
});

Deno.test("tInterval() is the Student-t interval of the mean", () => {
  const t = tInterval([0.1, 0.3, NaN, 0.2, 0.4]);
  const sd = Math.sqrt(((0.15 ** 2) * 2 + (0.05 ** 2) * 2) / 3);
  assert.ok(Math.abs(t.value - 0.25) < 1e-12);
  assert.ok(Math.abs(t.hi - (0.25 + 3.182 * sd / 2)) < 1e-12);
  assert.equal(t.groups, 4);
  assert.ok(Number.isNaN(tInterval([1]).lo));
});
