import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Dtfd } from "./dtfd.ts";
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

Deno.test("Dtfd has two optimisation groups, tier 1 on parts.tier1 and tier 2 on parts.ce, covering every variable once", () => {
  const model = new Dtfd({ inputDim: 8, numClasses: 2, seed: 1 }, "maxmins");
  const [tier1, tier2] = model.optimisationGroups();
  assert.equal(tier1!.loss, "tier1");
  assert.equal(tier2!.loss, "ce");
  const names = (vs: tf.Variable[]) => vs.map(localName).sort();
  assert.ok(names(tier1!.variables).every((n) => !n.startsWith("tier2.")));
  assert.ok(names(tier2!.variables).every((n) => n.startsWith("tier2.")));
  assert.deepEqual(
    [...names(tier1!.variables), ...names(tier2!.variables)].sort(),
    names(model.trainableVariables()),
  );
  const x = seededBag(30, 8, 2);
  tf.tidy(() => {
    const out = model.loss(x, 1, { training: true, rng: new Rng(3) });
    const sum = out.parts.tier1!.dataSync()[0]! + out.parts.ce!.dataSync()[0]!;
    assert.ok(Math.abs(out.total.dataSync()[0]! - sum) < 1e-6);
    // Tier 2's variables get no gradient from the tier-1 loss.
    const { grads } = tf.variableGrads(
      () => model.loss(x, 1, { training: true, rng: new Rng(3) }).parts.tier1!,
      tier1!.variables,
    );
    assert.equal(Object.keys(grads).length, tier1!.variables.length);
  });
  assert.throws(
    () => new Dtfd({ inputDim: 8, numClasses: 2, distill: "afs" }, "maxmins"),
    /dtfd_maxmins distils with "maxmins": got option distill "afs"/,
  );
  x.dispose();
  model.dispose();
});

Deno.test("Dtfd draws random pseudo-bags in training and fixed ones in evaluation; its attention does not depend on them", () => {
  const model = createModel("dtfd_afs", {
    inputDim: 8,
    numClasses: 2,
    seed: 1,
  });
  const x = seededBag(41, 8, 2);
  const run = (rng?: Rng) =>
    tf.tidy(() => {
      const out = model.loss(
        x,
        0,
        rng ? { training: true, rng } : { training: false },
      );
      return {
        logits: Array.from(out.logits.dataSync()),
        tier1: out.parts.tier1!.dataSync()[0]!,
        attention: Array.from(out.attention.dataSync()),
      };
    });
  const evaluation = run();
  assert.deepEqual(run(), evaluation, "evaluation is deterministic");
  const a = run(new Rng(1)), b = run(new Rng(2));
  assert.deepEqual(run(new Rng(1)), a, "training is reproducible from the rng");
  assert.notEqual(a.tier1, b.tier1, "another rng, another partition");
  assert.deepEqual(a.attention, evaluation.attention);
  assert.deepEqual(b.attention, evaluation.attention);
  assert.equal(evaluation.attention.length, 41);
  x.dispose();
  model.dispose();
});

Deno.test("with one instance per pseudo-bag, MaxMinS (max = min = that instance) and AFS give the same prediction", () => {
  const options = { inputDim: 8, numClasses: 3, seed: 5 };
  const maxmins = createModel("dtfd_maxmins", options);
  const afs = createModel("dtfd_afs", options);
  const x = seededBag(4, 8, 6);
  const logits = (m: typeof afs) =>
    Array.from(m.forward(x, { training: false }).logits.dataSync());
  const [p, q] = [logits(maxmins), logits(afs)];
  p.forEach((v, i) => assert.ok(Math.abs(v - q[i]!) < 1e-5, `${p} vs ${q}`));
  // With more instances per pseudo-bag the two distillations differ.
  const y = seededBag(40, 8, 6);
  const more = (m: typeof afs) =>
    Array.from(m.forward(y, { training: false }).logits.dataSync());
  assert.notDeepEqual(more(maxmins), more(afs));
  tf.dispose([x, y]);
  maxmins.dispose();
  afs.dispose();
});

for (const name of ["dtfd_maxmins", "dtfd_afs"]) {
  Deno.test(`${name} reaches validation AUC ≥ 0.95 and accuracy ≥ 0.9 on an easy problem with the trainer's two optimisers`, async () => {
    const run = await assertLearnsEasyBags(name);
    assert.deepEqual(Object.keys(run.events[0]!.losses).sort(), [
      "ce",
      "tier1",
      "total",
    ]);
  });
}

Deno.test("dtfd_maxmins with the anchor trains to validation AUC ≥ 0.95 and accuracy ≥ 0.9 and records attention over every instance", async () => {
  await assertAnchoredTrainingWorks("dtfd_maxmins");
});
