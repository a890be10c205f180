import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { anchorTarget } from "./anchor_target.ts";

const z = [[0.4, -1.2, 2.0, 0.1], [0, 0, 0, 3]];
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
function normSigmoid(row: number[], tau: number): number[] {
  const s = row.map((v) => sigmoid(v / tau));
  const total = s.reduce((a, b) => a + b, 0) + 1e-8;
  return s.map((x) => x / total);
}
function target(options: Parameters<typeof anchorTarget>[1]): number[][] {
  return tf.tidy(() =>
    anchorTarget(tf.tensor2d(z), options).arraySync() as number[][]
  );
}
function close(got: number[][], want: number[][]) {
  got.flat().forEach((x, i) =>
    assert.ok(Math.abs(x - want.flat()[i]!) < 1e-6, `${x} vs ${want.flat()[i]}`)
  );
}

Deno.test("anchorTarget() is the normalized sigmoid by default", () => {
  close(target({ tau: 0.5 }), z.map((r) => normSigmoid(r, 0.5)));
});

Deno.test("anchorTarget() with temperature T is p^(1/T) renormalised", () => {
  const want = z.map((r) => {
    const p = normSigmoid(r, 0.5).map((x) => x ** (1 / 0.25));
    const total = p.reduce((a, b) => a + b, 0);
    return p.map((x) => x / total);
  });
  close(target({ tau: 0.5, targetTemperature: 0.25 }), want);
});

Deno.test("anchorTarget() with contrast c is max(u + c(p − u), 0) renormalised", () => {
  for (const c of [0, 3, 40]) {
    const want = z.map((r) => {
      const p = normSigmoid(r, 0.5).map((x) =>
        Math.max(0.25 + c * (x - 0.25), 0)
      );
      const total = p.reduce((a, b) => a + b, 0);
      return p.map((x) => x / total);
    });
    close(target({ tau: 0.5, targetContrast: c }), want);
  }
  // Contrast 0 is the uniform target.
  close(target({ tau: 0.5, targetContrast: 0 }), [[0.25, 0.25, 0.25, 0.25], [
    0.25,
    0.25,
    0.25,
    0.25,
  ]]);
});

Deno.test("anchorTarget() with the softmax target is softmax(z/τ), then sharpened as asked", () => {
  const softmax = (row: number[], tau: number) => {
    const e = row.map((v) => Math.exp(v / tau));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / total);
  };
  close(target({ tau: 0.5, target: "softmax" }), z.map((r) => softmax(r, 0.5)));
  // p^(1/T) of softmax(z/τ) is softmax(z/(τT)).
  close(
    target({ tau: 0.5, target: "softmax", targetTemperature: 0.5 }),
    z.map((r) => softmax(r, 0.25)),
  );
});
