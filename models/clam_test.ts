import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Clam } from "./clam.ts";
import { createModel } from "./registry.ts";
import { clamInstanceLoss } from "./layers/clam_instance_loss.ts";
import {
  assertAnchoredTrainingWorks,
  assertLearnsEasyBags,
} from "../testing/easy_training.ts";
import { Rng } from "../core/random.ts";
import { useBackendFromEnv } from "./backend/mod.ts";
import { seededBag } from "../testing/model_fixtures.ts";

await useBackendFromEnv({ quiet: true });

/** 30 distinct scores, an instance matrix whose first column is the score, the k = 8 top and bottom indices. */
function scoredBag() {
  const rng = new Rng(5);
  const scores = Array.from(
    { length: 30 },
    (_, i) => i * 0.1 + rng.next() * 0.05,
  );
  rng.shuffle(scores);
  const rows = scores.map((s) => [s, rng.normal(), rng.normal()]);
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  return {
    scores,
    h: tf.tensor2d(rows),
    top: order.slice(0, 8),
    bottom: order.slice(-8),
  };
}

/** −mean log softmax(logits_i)[target_i] in plain JS. */
function ce(logits: number[][], targets: number[]): number {
  let sum = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    sum += lse - row[targets[i]!]!;
  });
  return sum / logits.length;
}

Deno.test("clamInstanceLoss() is below 1e-6 for a perfect instance classifier and large for a reversed one", () => {
  const { scores, h, top, bottom } = scoredBag();
  // Perfect: the class-1 logit minus the class-0 logit is 2s·(score − t),
  // t midway between the 8th-highest and 8th-lowest score. Every selected
  // instance is then right by a margin ≥ s·(gap) where gap ≥ 1.0 here
  // (scores are ≈ 0.1 apart and 14 ranks separate the two sets), so each
  // term is log(1 + e^−margin) < e^−40 with s = 40: the loss is 0 up to
  // float32 rounding. A CE with finite logits is never exactly 0.
  const t = (scores[top[7]!]! + scores[bottom[0]!]!) / 2;
  const s = 40;
  const perfect = {
    w: tf.variable(tf.tensor2d([[-s, s], [0, 0], [0, 0]])),
    b: tf.variable(tf.tensor1d([s * t, -s * t])),
  };
  const x = tf.tensor1d(scores);
  const loss = clamInstanceLoss(x, h, perfect, 8, "in-class").dataSync()[0]!;
  assert.ok(loss >= 0 && loss < 1e-6, `in-class loss ${loss}`);
  const reversed = {
    w: tf.variable(tf.tensor2d([[s, -s], [0, 0], [0, 0]])),
    b: tf.variable(tf.tensor1d([-s * t, s * t])),
  };
  const bad = clamInstanceLoss(x, h, reversed, 8, "in-class").dataSync()[0]!;
  assert.ok(bad > 10, `reversed classifier loss ${bad}`);
  // Out-of-class: the top-k are negatives, so the "perfect" in-class
  // classifier is wrong on all of them and the reversed one is right.
  const out = clamInstanceLoss(x, h, reversed, 8, "out-of-class")
    .dataSync()[0]!;
  assert.ok(out < 1e-6, `out-of-class loss ${out}`);
  tf.dispose([x, h, perfect.w, perfect.b!, reversed.w, reversed.b!]);
});

Deno.test("clamInstanceLoss() is the cross-entropy with top-8 → 1 and bottom-8 → 0 pseudo labels, k clamped to N", () => {
  const { scores, h, top, bottom } = scoredBag();
  const rng = new Rng(9);
  const w = Array.from({ length: 3 }, () => [rng.normal(), rng.normal()]);
  const classifier = {
    w: tf.variable(tf.tensor2d(w)),
    b: tf.variable(tf.tensor1d([0.3, -0.2])),
  };
  const rows = h.arraySync();
  const logitsOf = (i: number) =>
    [0, 1].map((c) =>
      rows[i]!.reduce((s, v, j) => s + v * w[j]![c]!, 0) + [0.3, -0.2][c]!
    );
  const expected = ce(
    [...top, ...bottom].map(logitsOf),
    [...top.map(() => 1), ...bottom.map(() => 0)],
  );
  const x = tf.tensor1d(scores);
  const got = clamInstanceLoss(x, h, classifier, 8, "in-class").dataSync()[0]!;
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
  const expectedOut = ce(top.map(logitsOf), top.map(() => 0));
  const gotOut = clamInstanceLoss(x, h, classifier, 8, "out-of-class")
    .dataSync()[0]!;
  assert.ok(Math.abs(gotOut - expectedOut) < 1e-5);
  // k = 8 with 3 instances: every instance is both top and bottom.
  const few = tf.slice(h, [0, 0], [3, 3]) as tf.Tensor2D;
  const fewScores = tf.tensor1d(scores.slice(0, 3));
  const all3 = [0, 1, 2].map(logitsOf);
  const expectedFew = ce([...all3, ...all3], [1, 1, 1, 0, 0, 0]);
  const gotFew = clamInstanceLoss(fewScores, few, classifier, 8, "in-class")
    .dataSync()[0]!;
  assert.ok(Math.abs(gotFew - expectedFew) < 1e-5);
  assert.throws(
    () => clamInstanceLoss(fewScores, h, classifier, 8, "in-class"),
    /one score per instance: got 3 scores for 30 instances/,
  );
  tf.dispose([x, h, few, fewScores, classifier.w, classifier.b!]);
});

Deno.test("Clam's loss is 0.7·ce + 0.3·instance, SB pools with one attention row and MB with one per class", () => {
  for (const variant of ["sb", "mb"] as const) {
    const model = new Clam(
      { inputDim: 12, numClasses: 3, seed: 2, bagWeight: 0.7 },
      variant,
    );
    assert.equal(model.options.subtyping, true, "C > 2 defaults to subtyping");
    assert.equal(model.options.kSample, 8);
    const x = seededBag(20, 12, 4);
    tf.tidy(() => {
      const out = model.loss(x, 1, { training: true, rng: new Rng(1) });
      assert.deepEqual(out.attention.shape, [variant === "sb" ? 1 : 3, 20]);
      const ce = out.parts.ce!.dataSync()[0]!;
      const instance = out.parts.instance!.dataSync()[0]!;
      const total = out.total.dataSync()[0]!;
      assert.ok(instance > 0 && ce > 0);
      assert.ok(Math.abs(total - (0.7 * ce + 0.3 * instance)) < 1e-5);
    });
    x.dispose();
    model.dispose();
  }
  const binary = createModel("clam_sb", { inputDim: 12, numClasses: 2 });
  assert.equal(binary.options.subtyping, false);
  assert.equal(binary.options.dropout, 0.25);
  binary.dispose();
  assert.throws(
    () => new Clam({ inputDim: 12, numClasses: 2, bagWeight: 1.5 }, "sb"),
    /CLAM-SB option bagWeight must be in \[0, 1\]: current value is 1.5/,
  );
});

for (const name of ["clam_sb", "clam_mb"]) {
  Deno.test(`${name} reaches validation AUC ≥ 0.95 and accuracy ≥ 0.9 on an easy problem with the trainer`, async () => {
    await assertLearnsEasyBags(name);
  });

  Deno.test(`${name} with the anchor trains to validation AUC ≥ 0.95 and accuracy ≥ 0.9 and records attention over every instance`, async () => {
    await assertAnchoredTrainingWorks(name);
  });
}
