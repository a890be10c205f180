import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "./all.ts";
import { ANCHOR_DEFAULTS, ANCHOR_PRESETS, AnchoredModel } from "./anchor.ts";
import { anchorLoss } from "./anchor_loss.ts";
import {
  buildModel,
  buildOptionsOf,
  createAnchored,
} from "./anchor_factory.ts";
import { createModel, listModels } from "./registry.ts";
import { Rng } from "../core/random.ts";
import { easyFeatureBags, fitOnBags } from "../testing/feature_bags_fit.ts";
import { useBackendFromEnv } from "./backend/mod.ts";
import {
  assertEveryVariableGetsAGradient,
  seededBag,
} from "../testing/model_fixtures.ts";

await useBackendFromEnv({ quiet: true });

const small = { inputDim: 16, numClasses: 2, innerDim: 16, seed: 4 };

function values(vars: tf.Variable[]): number[][] {
  return vars.map((v) => Array.from(v.dataSync()));
}

function anchorVars(model: AnchoredModel): tf.Variable[] {
  return model.anchor.trainableVariables();
}

Deno.test("createAnchored() starts the anchor as a copy of the online weights by default", () => {
  const model = createAnchored("gated_abmil", small);
  assert.deepEqual(
    values(anchorVars(model)),
    values(model.trainableVariables()),
  );
  assert.ok(anchorVars(model).every((v) => !v.trainable));
  assert.ok(model.trainableVariables().every((v) => v.trainable));
  model.dispose();
});

Deno.test("createAnchored() gives an independent anchor its own seeded init", () => {
  const model = createAnchored("asmil", small, {
    init: "independent",
    update: "frozen",
  });
  const reference = createModel("asmil", { ...small, seed: 5 });
  assert.deepEqual(
    values(anchorVars(model)),
    values(reference.trainableVariables()),
  );
  assert.notDeepEqual(
    values(anchorVars(model)),
    values(model.trainableVariables()),
  );
  reference.dispose();
  model.dispose();
});

Deno.test("updateAnchor() applies θa ← m·θa + (1−m)·θo, and nothing when frozen", () => {
  for (const update of ["ema", "frozen"] as const) {
    const model = createAnchored("abmil", small, {
      init: "independent",
      update,
      momentum: 0.9,
    });
    // Move the online weights as an optimiser step would.
    for (const v of model.trainableVariables()) {
      tf.tidy(() =>
        v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.5, "float32", 1)))
      );
    }
    const a = values(anchorVars(model)), o = values(model.trainableVariables());
    model.afterStep();
    const after = values(anchorVars(model));
    after.forEach((row, i) =>
      row.forEach((x, j) => {
        const ai = a[i]?.[j] as number, oi = o[i]?.[j] as number;
        const expected = update === "ema" ? 0.9 * ai + 0.1 * oi : ai;
        assert.ok(
          Math.abs(x - expected) < 1e-6,
          `${update}: ${x} ≠ ${expected}`,
        );
      })
    );
    assert.deepEqual(values(model.trainableVariables()), o, "online untouched");
    model.dispose();
  }
});

Deno.test("AnchoredModel adds parts.anchor = weight · −mean(σ-normalised anchor · log softmax online)", () => {
  const model = createAnchored("asmil", small, {
    init: "independent",
    weight: 2,
    tau: 0.5,
  });
  const x = seededBag(12, 16, 7);
  tf.tidy(() => {
    const out = model.loss(x, 1, { training: false });
    const bare = model.online.loss(x, 1, { training: false });
    assert.deepEqual(Object.keys(out.parts).sort(), ["anchor", "ce"]);
    const z = model.anchorAttention(x).arraySync() as number[][];
    const s = out.attention.arraySync() as number[][];
    let sum = 0, count = 0;
    z.forEach((row, h) => {
      const sig = row.map((v) => 1 / (1 + Math.exp(-v / 0.5)));
      const total = sig.reduce((a, b) => a + b, 0) + 1e-8;
      const online = s[h] as number[];
      const max = Math.max(...online);
      const lse = max +
        Math.log(online.reduce((a, v) => a + Math.exp(v - max), 0));
      sig.forEach((p, i) => {
        sum += (p / total) * ((online[i] as number) - lse);
        count++;
      });
    });
    const expected = 2 * (-sum / count);
    const anchor = out.parts.anchor?.dataSync()[0] ?? NaN;
    assert.ok(
      Math.abs(anchor - expected) < 1e-5 * Math.max(1, expected),
      `${anchor} vs ${expected}`,
    );
    const totalDiff = (out.total.dataSync()[0] ?? NaN) -
      (bare.total.dataSync()[0] ?? NaN) - anchor;
    assert.ok(Math.abs(totalDiff) < 1e-5);
  });
  x.dispose();
  model.dispose();
});

Deno.test("AnchoredModel trains only the online weights, even without a variable list", () => {
  const model = createAnchored("gated_abmil", small);
  const x = seededBag(12, 16, 7);
  const anchorBefore = values(anchorVars(model)),
    onlineBefore = values(model.trainableVariables());
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() =>
    model.loss(x, 1, { training: true, rng: new Rng(1) }).total
  )?.dispose();
  assert.deepEqual(values(anchorVars(model)), anchorBefore);
  assert.notDeepEqual(values(model.trainableVariables()), onlineBefore);
  assertEveryVariableGetsAGradient(model, x, 0);
  x.dispose();
  optimizer.dispose();
  model.dispose();
});

Deno.test("buildModel() anchors asmil by default and any model on request, and round-trips", () => {
  const asmil = buildModel("asmil", small);
  const bare = buildModel("asmil", { ...small, anchor: false });
  const abmil = buildModel("abmil", small);
  const anchored = buildModel("abmil", {
    ...small,
    anchor: { update: "frozen" },
  });
  assert.ok(asmil instanceof AnchoredModel);
  assert.ok(!(bare instanceof AnchoredModel));
  assert.ok(!(abmil instanceof AnchoredModel));
  assert.ok(
    anchored instanceof AnchoredModel &&
      anchored.options.anchor.update === "frozen",
  );
  assert.equal(
    asmil.stateVariables?.().length,
    2 * asmil.trainableVariables().length,
  );
  for (const model of [asmil, bare, abmil, anchored]) {
    const again = buildModel(model.name, buildOptionsOf(model));
    assert.equal(
      again instanceof AnchoredModel,
      model instanceof AnchoredModel,
    );
    assert.deepEqual(again.options, model.options);
    again.dispose();
    model.dispose();
  }
});

Deno.test("createAnchored() rejects anchor options outside their domain", () => {
  assert.throws(
    () => createAnchored("abmil", small, { momentum: 1.5 }),
    /Anchor option momentum must be in \[0, 1\]: current value is 1.5/,
  );
  assert.throws(
    () => createAnchored("abmil", small, { update: "sgd" as "ema" }),
    /update must be "ema" or "frozen": current value is "sgd"/,
  );
});

const easy = () => easyFeatureBags();

for (
  const [name, epochs, extra] of [
    ["abmil", 5, { innerDim: 64 }],
    ["gated_abmil", 5, { innerDim: 64 }],
    ["asmil", 8, {}],
    ["acmil", 8, {}],
  ] as const
) {
  Deno.test(`${name} with the EMA anchor reaches validation AUC ≥ 0.95 on an easy problem`, () => {
    const model = createAnchored(name, {
      inputDim: 32,
      numClasses: 2,
      seed: 1,
      ...extra,
    });
    const before = tf.memory().numTensors;
    const anchorStart = values(anchorVars(model));
    const { auc, epochLosses } = fitOnBags(model, easy(), { epochs, seed: 1 });
    assert.ok(
      auc >= 0.95,
      `val AUC ${auc}, losses ${epochLosses.map((l) => l.toFixed(3))}`,
    );
    assert.notDeepEqual(
      values(anchorVars(model)),
      anchorStart,
      "the EMA moved the anchor",
    );
    assert.equal(tf.memory().numTensors, before, "training leaks no tensors");
    model.dispose();
  });
}

for (const name of listModels()) {
  Deno.test(`the anchor wraps ${name}: finite anchor part, gradients to the online weights only, EMA moves the anchor`, () => {
    const model = createAnchored(
      name,
      { inputDim: 16, numClasses: 3, seed: 1 },
      { momentum: 0.5 },
    );
    const x = seededBag(11, 16, 2);
    // Make the anchor trainable for this check only, so a gradient path to it
    // would show up (non-trainable variables are skipped by variableGrads).
    for (const v of anchorVars(model)) v.trainable = true;
    const all = [...model.trainableVariables(), ...anchorVars(model)];
    const { value, grads } = tf.variableGrads(() => {
      const out = model.loss(x, 2, { training: true, rng: new Rng(3) });
      const anchor = out.parts.anchor?.dataSync()[0] ?? NaN;
      assert.ok(Number.isFinite(anchor) && anchor > 0, `anchor part ${anchor}`);
      return out.total;
    }, all);
    for (const v of anchorVars(model)) v.trainable = false;
    for (const v of model.trainableVariables()) {
      assert.ok(grads[v.name], `no gradient for ${v.name}`);
    }
    for (const v of anchorVars(model)) {
      assert.equal(
        grads[v.name],
        undefined,
        `gradient reached anchor ${v.name}`,
      );
    }
    const before = values(anchorVars(model));
    for (const v of model.trainableVariables()) {
      tf.tidy(() => v.assign(tf.add(v, 0.1)));
    }
    model.afterStep();
    assert.notDeepEqual(values(anchorVars(model)), before);
    tf.dispose([x, value, ...Object.values(grads)]);
    model.dispose();
  });
}

Deno.test("training with the anchor is reproducible from the seed", () => {
  const run = () => {
    const model = createAnchored("asmil", {
      inputDim: 32,
      numClasses: 2,
      seed: 3,
    });
    const result = fitOnBags(model, easyFeatureBags(), { epochs: 1, seed: 3 });
    const anchor = values(anchorVars(model));
    model.dispose();
    return { ...result, anchor };
  };
  assert.deepEqual(run(), run());
});

Deno.test("an anchored multi-optimiser model keeps its groups, each with the anchor term", () => {
  const model = buildModel("dtfd_afs", {
    inputDim: 8,
    numClasses: 2,
    anchor: true,
  });
  const groups = model.optimisationGroups?.() ?? [];
  assert.deepEqual(groups.map((g) => [g.name, g.loss]), [
    ["tier1", ["tier1", "anchor"]],
    ["tier2", ["ce", "anchor"]],
  ]);
  const plain = buildModel("abmil", {
    inputDim: 8,
    numClasses: 2,
    anchor: true,
  });
  assert.deepEqual(plain.optimisationGroups?.().map((g) => g.loss), [
    undefined,
  ]);
  model.dispose();
  plain.dispose();
});

Deno.test("the anchor warm-up: no anchor term nor update before epoch k, then a fresh copy of the online weights", () => {
  const model = createAnchored("gated_abmil", small, { warmupEpochs: 2 });
  const x = seededBag(9, 16, 5);
  const move = () => {
    for (const v of model.trainableVariables()) {
      tf.tidy(() => v.assign(tf.add(v, 0.05)));
    }
  };
  for (const epoch of [0, 1]) {
    model.startEpoch(epoch);
    tf.tidy(() => {
      const out = model.loss(x, 1, { training: false });
      const bare = model.online.loss(x, 1, { training: false });
      assert.equal(out.parts.anchor?.dataSync()[0], 0);
      assert.equal(out.total.dataSync()[0], bare.total.dataSync()[0]);
    });
    const before = values(anchorVars(model));
    move();
    model.afterStep();
    assert.deepEqual(values(anchorVars(model)), before, "no EMA in warm-up");
  }
  model.startEpoch(2);
  assert.deepEqual(
    values(anchorVars(model)),
    values(model.trainableVariables()),
    "a copy at the end of the warm-up",
  );
  tf.tidy(() => {
    const anchor = model.loss(x, 1, { training: false }).parts.anchor;
    assert.ok((anchor?.dataSync()[0] ?? 0) > 0);
  });
  x.dispose();
  model.dispose();
});

Deno.test("updateAnchor() uses the ramped momentum of the announced epoch", () => {
  const model = createAnchored("abmil", small, {
    init: "independent",
    momentum: 0.9,
    momentumStart: 0.5,
    momentumRamp: 2,
  });
  // Epoch 1 of a 2-epoch ramp: 0.9 − 0.4·(1 + cos(π/2))/2 = 0.7.
  for (const [epoch, m] of [[0, 0.5], [1, 0.7], [2, 0.9]] as const) {
    model.startEpoch(epoch);
    assert.ok(Math.abs(model.momentum - m) < 1e-12);
    const a = values(anchorVars(model)), o = values(model.trainableVariables());
    model.afterStep();
    values(anchorVars(model)).forEach((row, i) =>
      row.forEach((x, j) => {
        const expected = m * a[i]![j]! + (1 - m) * o[i]![j]!;
        assert.ok(Math.abs(x - expected) < 1e-6, `${x} vs ${expected}`);
      })
    );
  }
  model.dispose();
});

Deno.test("anchor presets: faithful is the defaults, stable and teacher bundle their variants, given options win", () => {
  const faithful = createAnchored("abmil", small, { preset: "faithful" });
  const plain = createAnchored("abmil", small);
  assert.deepEqual(faithful.options.anchor, plain.options.anchor);
  assert.deepEqual(plain.options.anchor, { ...ANCHOR_DEFAULTS });
  const stable = buildModel("abmil", {
    ...small,
    anchor: { preset: "stable", warmupEpochs: 1 },
  });
  assert.ok(stable instanceof AnchoredModel);
  assert.deepEqual(stable.options.anchor, {
    ...ANCHOR_DEFAULTS,
    ...ANCHOR_PRESETS.stable,
    warmupEpochs: 1,
  });
  // teacher is stable with the anchor's own softmax attention (τ 1) as target.
  assert.deepEqual(ANCHOR_PRESETS.teacher, {
    ...ANCHOR_PRESETS.stable,
    target: "softmax",
    tau: 1,
  });
  const again = buildModel("abmil", buildOptionsOf(stable));
  assert.deepEqual(again.options, stable.options);
  assert.throws(
    () => createAnchored("abmil", small, { preset: "calm" as "stable" }),
    /Anchor preset must be one of "faithful", "stable", "teacher": current value is "calm"/,
  );
  for (const m of [faithful, plain, stable, again]) m.dispose();
});

Deno.test("AnchoredModel passes the loss variants to anchorLoss, weighted", () => {
  const variant = {
    reduction: "normalised",
    form: "js",
    targetTemperature: 0.5,
    targetContrast: 2,
  } as const;
  const model = createAnchored("asmil", small, {
    init: "independent",
    weight: 3,
    ...variant,
  });
  const x = seededBag(12, 16, 7);
  tf.tidy(() => {
    const out = model.loss(x, 1, { training: false });
    const expected = 3 *
      anchorLoss(model.anchorAttention(x), out.attention, {
        tau: 0.5,
        onlineNormalisation: "softmax",
        ...variant,
      }).dataSync()[0]!;
    const got = out.parts.anchor?.dataSync()[0] ?? NaN;
    assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  });
  x.dispose();
  model.dispose();
});

Deno.test("createAnchored() rejects variant options outside their domain, naming them", () => {
  assert.throws(
    () => createAnchored("abmil", small, { reduction: "max" as "sum" }),
    /Anchor option reduction must be "mean" or "sum" or "normalised": current value is "max"/,
  );
  assert.throws(
    () => createAnchored("abmil", small, { warmupEpochs: 1.5 }),
    /Anchor option warmupEpochs must be an integer ≥ 0: current value is 1.5/,
  );
  assert.throws(
    () => createAnchored("abmil", small, { targetTemperature: 0 }),
    /Anchor option targetTemperature must be a positive number: current value is 0/,
  );
});
