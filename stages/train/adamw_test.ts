import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AdamW, clipByGlobalNorm, cosineLr } from "./adamw.ts";

Deno.test("AdamW matches its update formula step by step", () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, "adamw_test_w");
  const opt = new AdamW([w], { weightDecay: 0.1 });
  const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
  let theta = [1, -2], m = [0, 0], v = [0, 0];
  for (let t = 1; t <= 3; t++) {
    // loss = Σ w³ → g = 3w²
    const { grads } = tf.variableGrads(() => w.pow(3).sum() as tf.Scalar, [w]);
    opt.update(grads, lr);
    tf.dispose(grads);
    const g = theta.map((x) => 3 * x * x);
    theta = theta.map((x) => x * (1 - lr * wd));
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
    theta = theta.map((x, i) =>
      x -
      lr * (m[i]! / (1 - b1 ** t)) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps)
    );
  }
  const got = Array.from(w.dataSync());
  got.forEach((x, i) =>
    assert.ok(Math.abs(x - theta[i]!) < 1e-6, `${x} vs ${theta[i]}`)
  );
  assert.equal(opt.steps, 3);
  w.dispose();
  opt.dispose();
});

Deno.test("AdamW state round-trips so training resumes identically", () => {
  const run = (split: boolean) => {
    const w = tf.variable(
      tf.tensor1d([0.5, 1.5]),
      true,
      `adamw_resume_${split}`,
    );
    let opt = new AdamW([w]);
    for (let t = 0; t < 4; t++) {
      if (split && t === 2) {
        const state = opt.getState();
        opt.dispose();
        opt = new AdamW([w]);
        opt.setState(state);
      }
      const { grads } = tf.variableGrads(() => w.square().sum() as tf.Scalar, [
        w,
      ]);
      opt.update(grads, 0.1);
      tf.dispose(grads);
    }
    const out = Array.from(w.dataSync());
    w.dispose();
    opt.dispose();
    return out;
  };
  assert.deepEqual(run(true), run(false));
});

Deno.test("clipByGlobalNorm() scales gradients to the maximum norm", () => {
  const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
  const norm = clipByGlobalNorm(grads, 1);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  const total = Math.hypot(...grads.a.dataSync(), ...grads.b.dataSync());
  assert.ok(Math.abs(total - 1) < 1e-5, `${total}`);
  const small = { a: tf.tensor1d([0.3, 0.4]) };
  assert.ok(Math.abs(clipByGlobalNorm(small, 5) - 0.5) < 1e-6);
  assert.deepEqual(Array.from(small.a.dataSync()).map((x) => +x.toFixed(6)), [
    0.3,
    0.4,
  ]);
});

Deno.test("cosineLr() decays from the base rate to zero over the epochs", () => {
  assert.equal(cosineLr(1e-4, 0, 10), 1e-4);
  assert.ok(Math.abs(cosineLr(1e-4, 5, 10) - 5e-5) < 1e-12);
  assert.ok(cosineLr(1e-4, 10, 10) < 1e-15);
  assert.ok(cosineLr(1e-4, 2.5, 10) < cosineLr(1e-4, 2, 10));
});

Deno.test("AdamW's in-place and op-by-op paths agree", () => {
  const run = (shared: boolean) => {
    const init = tf.tensor1d([0.5, -1.5, 2]);
    const w = tf.variable(init, true, `adamw_paths_${shared}`);
    init.dispose();
    // A second tensor on the same storage makes in-place writes unsafe,
    // which sends the update down the op-by-op path.
    const alias = shared ? tf.reshape(w, [3, 1]) : undefined;
    const opt = new AdamW([w], { weightDecay: 0.01 });
    for (let t = 0; t < 3; t++) {
      const { grads } = tf.variableGrads(
        () => w.pow(3).sum() as tf.Scalar,
        [w],
      );
      opt.update(grads, 0.05);
      tf.dispose(grads);
    }
    const out = Array.from(w.dataSync());
    tf.dispose([w, alias as tf.Tensor]);
    opt.dispose();
    return out;
  };
  const fused = run(false), ops = run(true);
  fused.forEach((x, i) =>
    assert.ok(Math.abs(x - ops[i]!) < 1e-6, `${x} vs ${ops[i]}`)
  );
});

/** One AdamW step on one value by the formula: [θ, m, v] after step t. */
function adamwStep(
  theta: number,
  m: number,
  v: number,
  g: number,
  t: number,
  lr: number,
  wd: number,
): [number, number, number] {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const m1 = b1 * m + (1 - b1) * g, v1 = b2 * v + (1 - b2) * g * g;
  const mHat = m1 / (1 - b1 ** t), vHat = v1 / (1 - b2 ** t);
  return [theta * (1 - lr * wd) - lr * mHat / (Math.sqrt(vHat) + eps), m1, v1];
}

Deno.test("AdamW leaves a variable without a gradient alone and counts its steps apart, as PyTorch", () => {
  const a = tf.variable(tf.scalar(1), true, "adamw_skip_a");
  const b = tf.variable(tf.scalar(2), true, "adamw_skip_b");
  const opt = new AdamW([a, b], { weightDecay: 0.1 });
  const lr = 0.01, wd = 0.1;
  // Step 1: only a has a gradient (2a); b is untouched, not even decayed.
  let { grads } = tf.variableGrads(() => a.square() as tf.Scalar, [a]);
  opt.update(grads, lr);
  tf.dispose(grads);
  let [ea, ma, va] = adamwStep(1, 0, 0, 2, 1, lr, wd);
  assert.ok(Math.abs(a.dataSync()[0]! - ea) < 1e-6);
  assert.equal(b.dataSync()[0], 2);
  // Step 2: both; b's bias correction is its first (t = 1), a's its second.
  ({ grads } = tf.variableGrads(
    () => a.square().add(b.square()) as tf.Scalar,
    [a, b],
  ));
  opt.update(grads, lr);
  tf.dispose(grads);
  [ea, ma, va] = adamwStep(ea, ma, va, 2 * ea, 2, lr, wd);
  const [eb] = adamwStep(2, 0, 0, 4, 1, lr, wd);
  assert.ok(
    Math.abs(a.dataSync()[0]! - ea) < 1e-6,
    `${a.dataSync()[0]} vs ${ea}`,
  );
  assert.ok(
    Math.abs(b.dataSync()[0]! - eb) < 1e-6,
    `${b.dataSync()[0]} vs ${eb}`,
  );
  assert.deepEqual(opt.getState().moments.map((s) => s.step), [2, 1]);
  assert.equal(opt.steps, 2);
  tf.dispose([a, b]);
  opt.dispose();
});

Deno.test("AdamW with decayWithoutGradient decays a variable without a gradient and corrects bias by the optimiser's steps", () => {
  const a = tf.variable(tf.scalar(1), true, "adamw_decay_a");
  const b = tf.variable(tf.scalar(2), true, "adamw_decay_b");
  const opt = new AdamW([a, b], {
    weightDecay: 0.1,
    decayWithoutGradient: true,
  });
  const lr = 0.01, wd = 0.1;
  let { grads } = tf.variableGrads(() => a.square() as tf.Scalar, [a]);
  opt.update(grads, lr);
  tf.dispose(grads);
  assert.ok(Math.abs(b.dataSync()[0]! - 2 * (1 - lr * wd)) < 1e-7);
  ({ grads } = tf.variableGrads(() => b.square() as tf.Scalar, [b]));
  opt.update(grads, lr);
  tf.dispose(grads);
  const b1 = 2 * (1 - lr * wd);
  // b's first moment update, bias-corrected with t = 2.
  const [eb] = adamwStep(b1, 0, 0, 2 * b1, 2, lr, wd);
  assert.ok(
    Math.abs(b.dataSync()[0]! - eb) < 1e-6,
    `${b.dataSync()[0]} vs ${eb}`,
  );
  tf.dispose([a, b]);
  opt.dispose();
});

Deno.test("AdamW per-variable step counts survive a state round-trip", () => {
  const run = (split: boolean) => {
    const a = tf.variable(tf.scalar(0.5), true, `adamw_rt_a_${split}`);
    const b = tf.variable(tf.scalar(1.5), true, `adamw_rt_b_${split}`);
    let opt = new AdamW([a, b]);
    for (let t = 0; t < 4; t++) {
      if (split && t === 2) {
        const state = opt.getState();
        opt.dispose();
        opt = new AdamW([a, b]);
        opt.setState(state);
      }
      // b gets a gradient only on odd steps.
      const vars = t % 2 === 1 ? [a, b] : [a];
      const { grads } = tf.variableGrads(
        () => tf.addN(vars.map((v) => v.square())) as tf.Scalar,
        vars,
      );
      opt.update(grads, 0.1);
      tf.dispose(grads);
    }
    const out = [a.dataSync()[0], b.dataSync()[0]];
    tf.dispose([a, b]);
    opt.dispose();
    return out;
  };
  assert.deepEqual(run(true), run(false));
});

Deno.test("AdamW.getState() is a snapshot: later steps do not change a saved state", async () => {
  const previous = tf.getBackend();
  for (const backend of ["cpu", previous]) {
    await tf.setBackend(backend);
    const w = tf.variable(tf.tensor1d([1, -2]), true, `adamw_snap_${backend}`);
    const opt = new AdamW([w]);
    const step = () => {
      const { grads } = tf.variableGrads(() => w.square().sum() as tf.Scalar, [
        w,
      ]);
      opt.update(grads, 0.01);
      tf.dispose(grads);
    };
    step();
    const saved = opt.getState();
    const m = Array.from(saved.moments[0]!.m),
      v = Array.from(saved.moments[0]!.v);
    step();
    step();
    assert.deepEqual(
      Array.from(saved.moments[0]!.m),
      m,
      `${backend}: m changed`,
    );
    assert.deepEqual(
      Array.from(saved.moments[0]!.v),
      v,
      `${backend}: v changed`,
    );
    w.dispose();
    opt.dispose();
  }
  await tf.setBackend(previous);
});
