import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  CrossAttention,
  type CrossAttentionOptions,
} from "./cross_attention.ts";
import { ParamScope } from "../weights_scope.ts";
import { Rng } from "../../core/random.ts";

/** Textbook multi-head cross-attention with materialised keys and values. */
function naive(
  attn: CrossAttention,
  queries: tf.Tensor2D,
  inputs: tf.Tensor2D,
): { features: tf.Tensor2D; scores: tf.Tensor2D } {
  const { queries: t, dim, heads } = attn.options;
  const dh = dim / heads;
  const scoreRows: tf.Tensor[] = [];
  const features: tf.Tensor[] = [];
  for (let i = 0; i < t; i++) {
    const pick = (w: tf.Variable | null) =>
      w === null ? tf.scalar(0) : tf.gather(w, i);
    const q = tf.add(
      tf.matMul(
        tf.slice(queries, [i, 0], [1, dim]),
        pick(attn.q.weight) as tf.Tensor2D,
      ),
      pick(attn.q.bias),
    );
    const k = tf.add(
      tf.matMul(inputs, pick(attn.k.weight) as tf.Tensor2D),
      pick(attn.k.bias),
    );
    const v = tf.add(
      tf.matMul(inputs, pick(attn.v.weight) as tf.Tensor2D),
      pick(attn.v.bias),
    );
    const outs: tf.Tensor[] = [];
    for (let h = 0; h < heads; h++) {
      const qh = tf.slice(q, [0, h * dh], [1, dh]) as tf.Tensor2D;
      const kh = tf.slice(k, [0, h * dh], [-1, dh]) as tf.Tensor2D;
      const vh = tf.slice(v, [0, h * dh], [-1, dh]) as tf.Tensor2D;
      const s = tf.div(
        tf.matMul(qh, kh, false, true),
        Math.sqrt(dh),
      ) as tf.Tensor2D;
      scoreRows.push(s);
      outs.push(tf.matMul(tf.softmax(s), vh));
    }
    const o = tf.add(
      tf.matMul(
        tf.concat(outs, 1) as tf.Tensor2D,
        pick(attn.out.weight) as tf.Tensor2D,
      ),
      pick(attn.out.bias),
    );
    const { mean, variance } = tf.moments(o, -1, true);
    const normed = tf.div(tf.sub(o, mean), tf.sqrt(tf.add(variance, 1e-6)));
    features.push(
      tf.add(tf.mul(normed, pick(attn.norm.gamma)), pick(attn.norm.beta)),
    );
  }
  return {
    features: tf.concat(features, 0) as tf.Tensor2D,
    scores: tf.concat(scoreRows, 0) as tf.Tensor2D,
  };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Infinity);
}

/** A cross-attention layer (eps 1e-6) in a fresh parameter scope `name`. */
function layer(
  name: string,
  options: Omit<CrossAttentionOptions, "eps">,
): { params: ParamScope; attn: CrossAttention } {
  const params = new ParamScope(name, 3);
  const attn = new CrossAttention(params, "attn", { ...options, eps: 1e-6 });
  return { params, attn };
}

/** Seeded random queries and `n` inputs of the width `attn` expects. */
function randomInputs(
  attn: CrossAttention,
  n: number,
): { queries: tf.Tensor2D; inputs: tf.Tensor2D } {
  const { queries: t, dim } = attn.options;
  return {
    queries: tf.randomNormal([t, dim], 0, 1, "float32", 4) as tf.Tensor2D,
    inputs: tf.randomNormal([n, dim], 0, 1, "float32", 5) as tf.Tensor2D,
  };
}

Deno.test("CrossAttention matches a textbook multi-head cross-attention", () => {
  const { params, attn } = layer("test_xattn", {
    queries: 3,
    dim: 16,
    heads: 4,
    dropout: 0.1,
  });
  // Non-trivial LayerNorm parameters so they are checked too.
  attn.norm.gamma.assign(tf.randomNormal([3, 16], 1, 0.3, "float32", 1));
  attn.norm.beta.assign(tf.randomNormal([3, 16], 0, 0.3, "float32", 2));
  tf.tidy(() => {
    const { queries, inputs } = randomInputs(attn, 11);
    const fast = attn.apply(queries, inputs, { training: false });
    const slow = naive(attn, queries, inputs);
    assert.deepEqual(fast.scores.shape, [12, 11]);
    assert.ok(maxAbsDiff(fast.scores, slow.scores) < 1e-4);
    assert.ok(maxAbsDiff(fast.features, slow.features) < 1e-4);
  });
  params.dispose();
});

Deno.test("CrossAttention applies dropout only in training", () => {
  const { params, attn } = layer("test_xattn_drop", {
    queries: 2,
    dim: 8,
    heads: 2,
    dropout: 0.5,
  });
  tf.tidy(() => {
    const { queries, inputs } = randomInputs(attn, 7);
    const a = attn.apply(queries, inputs, { training: false });
    const b = attn.apply(queries, inputs, { training: false });
    assert.equal(maxAbsDiff(a.features, b.features), 0);
    const c = attn.apply(queries, inputs, { training: true, rng: new Rng(9) });
    const d = attn.apply(queries, inputs, { training: true, rng: new Rng(9) });
    assert.equal(maxAbsDiff(c.features, d.features), 0);
    assert.ok(maxAbsDiff(a.features, c.features) > 1e-3);
    assert.equal(maxAbsDiff(a.scores, c.scores), 0);
  });
  params.dispose();
});

Deno.test("CrossAttention rejects heads that do not divide the dimension", () => {
  const params = new ParamScope("test_xattn_bad", 3);
  assert.throws(
    () =>
      new CrossAttention(params, "attn", {
        queries: 1,
        dim: 10,
        heads: 4,
        dropout: 0,
        eps: 1e-6,
      }),
    /heads must divide dim: got heads 4, dim 10/,
  );
  params.dispose();
});
