import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { TransMil } from "./transmil.ts";
import { localName, ParamScope } from "./weights_scope.ts";
import {
  iterativePinv,
  nystromAttention,
  segmentMeans,
} from "./layers/nystrom_attention.ts";
import { depthwiseConvSame } from "./layers/depthwise_conv.ts";
import { headwiseSequenceConv } from "./layers/sequence_conv.ts";
import { Ppeg } from "./layers/ppeg.ts";
import {
  assertAnchoredTrainingWorks,
  assertLearnsEasyBags,
} from "../testing/easy_training.ts";
import { seededBag } from "../testing/model_fixtures.ts";
import { Rng } from "../core/random.ts";
import { useBackendFromEnv } from "./backend/mod.ts";

await useBackendFromEnv({ quiet: true });

function randomSeq(rng: Rng, l: number, d: number): tf.Tensor3D {
  return tf.tensor3d([
    Array.from(
      { length: l },
      () => Array.from({ length: d }, () => rng.normal()),
    ),
  ]);
}

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function exactAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) {
  return tf.matMul(tf.softmax(tf.matMul(q, k, false, true)), v);
}

Deno.test("iterativePinv() gives A·Z·A = A and A·Z = I for an invertible matrix within 1e-4", () => {
  tf.tidy(() => {
    const a = tf.tensor3d([[[4, 1, 0], [1, 3, 1], [0, 1, 2]]]);
    const z = iterativePinv(a, 6);
    assert.ok(maxAbs(tf.matMul(a, z), tf.eye(3).expandDims(0)) < 1e-4);
    assert.ok(maxAbs(tf.matMul(tf.matMul(a, z), a), a) < 1e-4);
  });
});

Deno.test("segmentMeans() averages ⌈L/m⌉-long segments, the last over its own tokens", () => {
  tf.tidy(() => {
    const x = tf.tensor3d([[[0], [1], [2], [3], [4], [5], [6]]]);
    assert.deepEqual(Array.from(segmentMeans(x, 3).dataSync()), [1, 4, 6]);
    assert.deepEqual(segmentMeans(x, 16).shape, [1, 7, 1], "L ≤ m: each token");
  });
});

// With every token its own landmark, the Nyström product is
// A·pinv(A)·A·V = A·V exactly, so the only error is the iterative
// pseudo-inverse: measured 5e-6 (float32 rounding) after 20 iterations and
// 2.3e-2 after TransMIL's 6 on this input (softmax matrices are poorly
// conditioned, and 6 steps do not fully converge).
Deno.test("nystromAttention() with every token a landmark equals exact softmax attention within 1e-4 after 20 pseudo-inverse iterations and 5e-2 after 6", () => {
  tf.tidy(() => {
    const rng = new Rng(2);
    const q = tf.mul(randomSeq(rng, 32, 8), 1 / Math.sqrt(8)) as tf.Tensor3D;
    const k = randomSeq(rng, 32, 8), v = randomSeq(rng, 32, 8);
    const exact = exactAttention(q, k, v);
    const err20 = maxAbs(nystromAttention(q, k, v, 32, 20), exact);
    const err6 = maxAbs(nystromAttention(q, k, v, 32, 6), exact);
    assert.ok(err20 < 1e-4, `20 iterations: max error ${err20}`);
    assert.ok(err6 < 5e-2, `6 iterations: max error ${err6}`);
  });
});

// 64 tokens in 16 segments of 4 near-identical tokens (spread 0.05 around
// unit-normal centres): the 16 segment-mean landmarks stand for their
// segments, so the approximation error comes from the within-segment
// spread and the 6-step pseudo-inverse; measured 1.2e-2 (max abs, V unit
// normal). The bound 3e-2 leaves room for float differences between
// backends and is ≥ 10× below the error of uniform attention (0.29), so a
// wrong landmark or inverse step fails it.
Deno.test("nystromAttention() with 16 landmarks approximates exact attention on 64 segment-structured tokens within 3e-2 (max abs)", () => {
  tf.tidy(() => {
    const rng = new Rng(1);
    const structured = () => {
      const centres = Array.from(
        { length: 16 },
        () => Array.from({ length: 8 }, () => rng.normal()),
      );
      return tf.tensor3d([
        Array.from(
          { length: 64 },
          (_, i) => centres[i >> 2]!.map((c) => c + 0.05 * rng.normal()),
        ),
      ]);
    };
    const q = tf.mul(structured(), 1 / Math.sqrt(8)) as tf.Tensor3D;
    const k = structured();
    const v = tf.randomNormal([1, 64, 8], 0, 1, "float32", 3) as tf.Tensor3D;
    const exact = exactAttention(q, k, v);
    const err = maxAbs(nystromAttention(q, k, v, 16, 6), exact);
    const uniform = maxAbs(tf.mean(v, 1, true), exact);
    assert.ok(err < 3e-2, `max error ${err}`);
    assert.ok(
      err < uniform / 10,
      `error ${err} vs uniform attention ${uniform}`,
    );
  });
});

Deno.test("depthwiseConvSame() and its gradients match a direct computation, for kernels up to 5 × 5 and larger ones cut into windows", () => {
  for (const [kh, kw] of [[3, 5], [7, 7], [9, 3], [7, 5]] as const) {
    depthwiseCase(kh, kw);
  }
});

function depthwiseCase(kh: number, kw: number): void {
  const rng = new Rng(4 + kh * kw);
  const [h, w, c] = [6, 5, 3];
  const ph = (kh - 1) / 2, pw = (kw - 1) / 2;
  const xs = Array.from({ length: h * w * c }, () => rng.normal());
  const ks = Array.from({ length: kh * kw * c }, () => rng.normal());
  const dys = Array.from({ length: h * w * c }, () => rng.normal());
  const at = (a: number[], i: number, j: number, ch: number, wd: number) =>
    a[(i * wd + j) * c + ch]!;
  const y = new Array(h * w * c).fill(0);
  const dx = new Array(h * w * c).fill(0);
  const dk = new Array(kh * kw * c).fill(0);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let ch = 0; ch < c; ch++) {
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const si = i + a - ph, sj = j + b - pw;
            if (si < 0 || si >= h || sj < 0 || sj >= w) continue;
            const o = (i * w + j) * c + ch, kIdx = (a * kw + b) * c + ch;
            y[o] += ks[kIdx]! * at(xs, si, sj, ch, w);
            dx[(si * w + sj) * c + ch] += ks[kIdx]! * dys[o]!;
            dk[kIdx] += at(xs, si, sj, ch, w) * dys[o]!;
          }
        }
      }
    }
  }
  tf.tidy(() => {
    const x = tf.tensor3d(xs, [h, w, c]), k = tf.tensor3d(ks, [kh, kw, c]);
    const dy = tf.tensor3d(dys, [h, w, c]);
    assert.ok(
      maxAbs(depthwiseConvSame(x, k), tf.tensor3d(y, [h, w, c])) < 1e-4,
      `kernel ${kh}×${kw}`,
    );
    const [gx, gk] = tf.grads((a, b) =>
      tf.sum(tf.mul(depthwiseConvSame(a as tf.Tensor3D, b as tf.Tensor3D), dy))
    )([x, k]);
    assert.ok(
      maxAbs(gx!, tf.tensor3d(dx, [h, w, c])) < 1e-4,
      `kernel ${kh}×${kw}`,
    );
    assert.ok(
      maxAbs(gk!, tf.tensor3d(dk, [kh, kw, c])) < 1e-4,
      `kernel ${kh}×${kw}`,
    );
  });
}

Deno.test("headwiseSequenceConv() and its gradients equal a depthwise convolution with each head's kernel repeated over its channels", () => {
  const rng = new Rng(6);
  for (const [l, k] of [[1, 33], [7, 5], [70, 33], [64, 33], [100, 71]]) {
    tf.tidy(() => {
      const heads = 4, dh = 3, dim = heads * dh;
      const x = tf.tensor2d(
        Array.from({ length: l! * dim }, () => rng.normal()),
        [l!, dim],
      );
      const w = tf.tensor2d(
        Array.from({ length: k! * heads }, () => rng.normal()),
        [k!, heads],
      );
      const dy = tf.randomNormal([l!, dim], 0, 1, "float32", l);
      const viaBlocks = (a: tf.Tensor, b: tf.Tensor) =>
        headwiseSequenceConv(a as tf.Tensor2D, b as tf.Tensor2D, heads);
      const viaConv = (a: tf.Tensor, b: tf.Tensor) => {
        const kernel = tf.reshape(
          tf.tile(tf.reshape(b, [k!, heads, 1]), [1, 1, dh]),
          [k!, 1, dim],
        ) as tf.Tensor3D;
        const y = depthwiseConvSame(
          tf.reshape(a, [l!, 1, dim]) as tf.Tensor3D,
          kernel,
        );
        return tf.reshape(y, [l!, dim]);
      };
      assert.ok(
        maxAbs(viaBlocks(x, w), viaConv(x, w)) < 1e-4,
        `L ${l}, k ${k}`,
      );
      const loss = (f: typeof viaConv) => (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(f(a, b), dy));
      const [gx1, gw1] = tf.grads(loss(viaBlocks))([x, w]);
      const [gx2, gw2] = tf.grads(loss(viaConv))([x, w]);
      assert.ok(maxAbs(gx1!, gx2!) < 1e-4 && maxAbs(gw1!, gw2!) < 1e-3);
    });
  }
});

Deno.test("Ppeg adds the 7×7, 5×5 and 3×3 depthwise convolutions (with biases) to the grid and passes the class token through", () => {
  const scope = new ParamScope("ppeg_test", 3);
  const ppeg = new Ppeg(scope, "ppeg", 2);
  const get = (n: string) =>
    scope.variables().find((v) => localName(v) === n)! as tf.Tensor;
  tf.tidy(() => {
    const tokens = tf.randomNormal(
      [1 + 16, 2],
      0,
      1,
      "float32",
      1,
    ) as tf.Tensor2D;
    const out = ppeg.apply(tokens, 4);
    const grid = tf.reshape(tf.slice(tokens, [1, 0], [16, 2]), [
      4,
      4,
      2,
    ]) as tf.Tensor3D;
    let expected: tf.Tensor = grid;
    for (const k of [7, 5, 3]) {
      expected = tf.add(
        expected,
        tf.add(
          depthwiseConvSame(grid, get(`ppeg.conv${k}.w`) as tf.Tensor3D),
          get(`ppeg.conv${k}.b`),
        ),
      );
    }
    assert.ok(
      maxAbs(
        tf.slice(out, [0, 0], [1, 2]),
        tf.slice(tokens, [0, 0], [1, 2]),
      ) === 0,
    );
    assert.ok(
      maxAbs(tf.slice(out, [1, 0], [16, 2]), tf.reshape(expected, [16, 2])) <
        1e-5,
    );
  });
  scope.dispose();
});

Deno.test("TransMil gives [8, N] class-token attention over the real instances for square and non-square N, deterministic in evaluation", () => {
  const model = new TransMil({ inputDim: 12, numClasses: 2, seed: 2 });
  assert.equal(model.options.landmarks, model.options.innerDim / 2);
  for (const n of [1, 2, 3, 7, 16, 50]) {
    const x = seededBag(n, 12, n);
    tf.tidy(() => {
      const a = model.forward(x, { training: false });
      assert.deepEqual(a.attention.shape, [8, n]);
      const b = model.forward(x, { training: false });
      assert.deepEqual(a.logits.dataSync(), b.logits.dataSync());
      const t = model.forward(x, { training: true, rng: new Rng(1) });
      assert.notDeepEqual(t.logits.dataSync(), a.logits.dataSync(), "dropout");
    });
    x.dispose();
  }
  model.dispose();
});

Deno.test("TransMil's low-memory path (every stage checkpointed) gives the same loss and gradients as the default", () => {
  const options = { inputDim: 12, numClasses: 2, seed: 4 };
  const fast = new TransMil(options);
  const lean = new TransMil({ ...options, lowMemoryAbove: 0 });
  const x = seededBag(30, 12, 5);
  const run = (m: TransMil) => {
    const { value, grads } = tf.variableGrads(
      () => m.loss(x, 1, { training: true, rng: new Rng(2) }).total,
      m.trainableVariables(),
    );
    const out = {
      loss: value.dataSync()[0]!,
      grads: m.trainableVariables().map((v) => grads[v.name]!),
    };
    value.dispose();
    return out;
  };
  const a = run(fast), b = run(lean);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-5);
  assert.equal(a.grads.length, b.grads.length);
  a.grads.forEach((g, i) =>
    assert.ok(maxAbs(g, b.grads[i]!) < 1e-4, `gradient ${i}`)
  );
  tf.dispose([x, ...a.grads, ...b.grads]);
  fast.dispose();
  lean.dispose();
});

Deno.test("transmil reaches validation AUC ≥ 0.95 and accuracy ≥ 0.9 on an easy problem with the trainer", async () => {
  await assertLearnsEasyBags("transmil", { lr: 1e-3 });
});

Deno.test("transmil with the anchor trains to validation AUC ≥ 0.95 and accuracy ≥ 0.9 and records attention over every instance", async () => {
  await assertAnchoredTrainingWorks("transmil", { lr: 1e-3 });
});
