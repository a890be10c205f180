import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Dsmil } from "./dsmil.ts";
import { createModel } from "./registry.ts";
import { localName } from "./weights_scope.ts";
import {
  assertAnchoredTrainingWorks,
  assertLearnsEasyBags,
} from "../testing/easy_training.ts";
import { Rng } from "../core/random.ts";
import { useBackendFromEnv } from "./backend/mod.ts";
import { seededBag } from "../testing/model_fixtures.ts";

await useBackendFromEnv({ quiet: true });

function weight(model: Dsmil, name: string): number[][] {
  const v = model.trainableVariables().find((x) => localName(x) === name)!;
  return v.arraySync() as number[][];
}

Deno.test("Dsmil's critical instance is the max-scoring one per class and the attention is ⟨q_i, q_crit⟩/√q", () => {
  const model = new Dsmil({ inputDim: 6, numClasses: 3, queryDim: 8, seed: 3 });
  const rng = new Rng(2);
  const rows = Array.from(
    { length: 25 },
    () => Array.from({ length: 6 }, () => rng.normal()),
  );
  // Make instance 17 extreme along class 2's instance weights, so class 2's
  // critical instance is known in advance.
  const w = weight(model, "instance_classifier.w"); // [D, C]
  rows[17] = w.map((r) => 10 * r[2]!);
  const x = tf.tensor2d(rows);
  tf.tidy(() => {
    const s = model.streams(x, { training: false });
    // Instance scores in plain JS from the weights.
    const b = model.trainableVariables()
      .find((v) => localName(v) === "instance_classifier.b")!
      .dataSync();
    const scores = rows.map((row) =>
      [0, 1, 2].map((c) =>
        row.reduce((acc, v, j) => acc + v * w[j]![c]!, 0) + b[c]!
      )
    );
    const argmax = [0, 1, 2].map((c) =>
      scores.reduce((best, r, i) => r[c]! > scores[best]![c]! ? i : best, 0)
    );
    assert.equal(argmax[2], 17);
    assert.deepEqual(s.critical, argmax);
    const q = model.query(x).arraySync();
    const att = s.attention.arraySync();
    for (let c = 0; c < 3; c++) {
      const qc = q[argmax[c]!]!;
      q.forEach((qi, i) => {
        const expected = qi.reduce((acc, v, j) => acc + v * qc[j]!, 0) /
          Math.sqrt(8);
        assert.ok(Math.abs(att[c]![i]! - expected) < 1e-5);
      });
    }
    const maxes = s.maxScores.arraySync();
    maxes.forEach((m, c) =>
      assert.ok(Math.abs(m - scores[argmax[c]!]![c]!) < 1e-4)
    );
  });
  x.dispose();
  model.dispose();
});

Deno.test("Dsmil's loss is 0.5·CE(max instance) + 0.5·CE(bag) and its prediction averages both streams' probabilities", () => {
  const model = createModel("dsmil", { inputDim: 6, numClasses: 2, seed: 1 });
  assert.ok(model instanceof Dsmil);
  const x = seededBag(15, 6, 5);
  tf.tidy(() => {
    const out = model.loss(x, 1, { training: true, rng: new Rng(1) });
    const ce = out.parts.ce!.dataSync()[0]!,
      max = out.parts.max!.dataSync()[0]!;
    assert.ok(
      Math.abs(out.total.dataSync()[0]! - (0.5 * ce + 0.5 * max)) < 1e-6,
    );
    const s = model.streams(x, { training: false });
    const p = tf.softmax(out.logits).dataSync();
    const pMax = tf.softmax(s.maxScores).dataSync();
    const pBag = tf.softmax(s.bagLogits).dataSync();
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(p[c]! - (pMax[c]! + pBag[c]!) / 2) < 1e-6);
    }
    assert.ok(Math.abs(-Math.log(pMax[1]!) - max) < 1e-5);
    assert.ok(Math.abs(-Math.log(pBag[1]!) - ce) < 1e-5);
  });
  x.dispose();
  model.dispose();
});

Deno.test("dsmil reaches validation AUC ≥ 0.95 and accuracy ≥ 0.9 on an easy problem with the trainer", async () => {
  await assertLearnsEasyBags("dsmil");
});

Deno.test("dsmil with the anchor trains to validation AUC ≥ 0.95 and accuracy ≥ 0.9 and records attention over every instance", async () => {
  await assertAnchoredTrainingWorks("dsmil");
});
