import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { anchorLoss, type AnchorLossOptions } from "./anchor_loss.ts";

// Two heads over N = 5 instances; scores chosen by hand.
const anchorZ = [[0.4, -1.2, 2.0, 0.1, -0.3], [1.5, 1.5, -0.5, 0.0, 0.8]];
const onlineZ = [[1.0, 0.2, -0.7, 0.3, 2.2], [-0.4, 0.9, 0.1, -1.1, 0.6]];
const TAU = 0.5, EPS = 1e-8;

// Independent plain-number formulas of the method and each variant.
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
function normSigmoid(row: number[], tau: number): number[] {
  const s = row.map((z) => sigmoid(z / tau));
  const total = s.reduce((a, b) => a + b, 0) + EPS;
  return s.map((x) => x / total);
}
function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((z) => Math.exp(z - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}
const targets = anchorZ.map((r) => normSigmoid(r, TAU));
const onlines = onlineZ.map(softmax);

function terms(form: string): number[][] {
  return targets.map((p, h) =>
    p.map((pi, i) => {
      const qi = onlines[h]![i]!, lq = Math.log(qi), lp = Math.log(pi + EPS);
      if (form === "ce") return -pi * lq;
      if (form === "kl") return pi * (lp - lq);
      if (form === "reverse-kl") return qi * (lq - lp);
      const lm = Math.log((pi + qi) / 2 + EPS);
      return 0.5 * (pi * (lp - lm) + qi * (Math.log(qi + EPS) - lm));
    })
  );
}
function reduce(t: number[][], reduction: string): number {
  const sums = t.map((row) => row.reduce((a, b) => a + b, 0));
  if (reduction === "mean") return sums.reduce((a, b) => a + b, 0) / 10;
  const perHead = sums.reduce((a, b) => a + b, 0) / 2;
  return reduction === "sum" ? perHead : perHead / Math.log(5);
}

function loss(options: Partial<AnchorLossOptions>): number {
  return tf.tidy(() =>
    anchorLoss(tf.tensor2d(anchorZ), tf.tensor2d(onlineZ), {
      tau: TAU,
      onlineNormalisation: "softmax",
      ...options,
    }).dataSync()[0]!
  );
}

for (const form of ["ce", "kl", "reverse-kl", "js"] as const) {
  for (const reduction of ["mean", "sum", "normalised"] as const) {
    Deno.test(`anchorLoss() form ${form}, reduction ${reduction} matches its formula`, () => {
      const expected = reduce(terms(form), reduction);
      const got = loss({ form, reduction });
      assert.ok(
        Math.abs(got - expected) < 1e-5 * Math.max(1, Math.abs(expected)),
        `${got} vs ${expected}`,
      );
    });
  }
}

Deno.test("anchorLoss() defaults are the method's −mean(p·log q) and the sum is N times the mean", () => {
  const method = reduce(terms("ce"), "mean");
  assert.ok(Math.abs(loss({}) - method) < 1e-6);
  assert.ok(Math.abs(loss({ reduction: "sum" }) - 5 * loss({})) < 1e-5);
});

Deno.test("anchorLoss() normalised by ln N is 1 for two uniform distributions at any N", () => {
  for (const n of [2, 10, 1000, 8000]) {
    const z = tf.zeros([3, n]) as tf.Tensor2D;
    const l = anchorLoss(z, z, {
      tau: TAU,
      onlineNormalisation: "softmax",
      reduction: "normalised",
    });
    assert.ok(
      Math.abs(l.dataSync()[0]! - 1) < 1e-4,
      `N ${n}: ${l.dataSync()[0]}`,
    );
    const mean = anchorLoss(z, z, { tau: TAU, onlineNormalisation: "softmax" });
    // The method's mean: ln N / N, vanishing with N.
    assert.ok(Math.abs(mean.dataSync()[0]! - Math.log(n) / n) < 1e-5);
    tf.dispose([z, l, mean]);
  }
});

Deno.test("anchorLoss() kl has the gradient of ce on the online scores; js is at most ln 2 per head", () => {
  const a = tf.tensor2d(anchorZ), o = tf.tensor2d(onlineZ);
  const grad = (form: "ce" | "kl") =>
    tf.grad((z: tf.Tensor) =>
      anchorLoss(a, z as tf.Tensor2D, {
        tau: TAU,
        onlineNormalisation: "softmax",
        form,
      })
    )(o).arraySync() as number[][];
  const ce = grad("ce"), kl = grad("kl");
  ce.flat().forEach((g, i) => assert.ok(Math.abs(g - kl.flat()[i]!) < 1e-6));
  const sharp = tf.tensor2d([[50, -50, -50], [-50, -50, 50]]);
  const far = tf.tensor2d([[-50, 50, -50], [50, -50, -50]]);
  const js = anchorLoss(sharp, far, {
    tau: 0.01,
    onlineNormalisation: "softmax",
    form: "js",
    reduction: "sum",
  }).dataSync()[0]!;
  assert.ok(js <= Math.log(2) + 1e-6 && js > 0.6, `${js}`);
  tf.dispose([a, o, sharp, far]);
});

Deno.test("anchorLoss() reads a sigmoid-normalised online model through its normalized sigmoid", () => {
  const got = loss({ onlineNormalisation: "sigmoid", reduction: "sum" });
  const q = onlineZ.map((r) => normSigmoid(r, 1));
  const expected =
    targets.map((p, h) =>
      p.reduce((s, pi, i) => s - pi * Math.log(q[h]![i]! + EPS), 0)
    ).reduce((a, b) => a + b, 0) / 2;
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
});
