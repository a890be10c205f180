import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "./use_backend.ts";
import { planMatMul } from "./blas_kernels.ts";
import { needs, testsNeedingRun } from "../../testing/system_libs.ts";
import { normalTensor } from "../../testing/model_fixtures.ts";

const blas = () => needs("libopenblas0-pthread", "BLAS matmul kernels");
if (testsNeedingRun("libopenblas0-pthread")) {
  await useBackend("blas", { quiet: true });
}

/** Naive float64 `op(a)·op(b)` with broadcast batch dims, for reference. */
function reference(
  a: tf.Tensor,
  b: tf.Tensor,
  ta: boolean,
  tb: boolean,
): { shape: number[]; values: Float64Array } {
  const plan = planMatMul(a.shape, b.shape, ta, tb);
  const av = a.dataSync(), bv = b.dataSync();
  const { m, n, k } = plan;
  const out = new Float64Array(plan.batchA.length * m * n);
  for (let o = 0; o < plan.batchA.length; o++) {
    const oa = plan.batchA[o]! * m * k, ob = plan.batchB[o]! * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          s += av[oa + (ta ? p * m + i : i * k + p)]! *
            bv[ob + (tb ? j * k + p : p * n + j)]!;
        }
        out[o * m * n + i * n + j] = s;
      }
    }
  }
  return { shape: plan.outShape, values: out };
}

function assertClose(got: tf.Tensor, want: ArrayLike<number>, tol = 1e-5) {
  const g = got.dataSync();
  assert.equal(g.length, want.length);
  for (let i = 0; i < g.length; i++) {
    assert.ok(
      Math.abs(g[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)),
      `element ${i}: got ${g[i]}, expected ${want[i]}`,
    );
  }
}

function heapBytes(): number {
  const backend = tf.backend() as unknown as {
    wasm: { HEAPU8: Uint8Array };
  };
  return backend.wasm.HEAPU8.buffer.byteLength;
}

// First in the file, while the heap is still small.
Deno.test(
  "BatchMatMul on BLAS stays correct when its output grows the wasm heap",
  blas(),
  () => {
    const a = normalTensor([4096, 1], 21), b = normalTensor([1, 4096], 22);
    const before = heapBytes();
    const c = tf.matMul(a, b); // 64 MiB output
    assert.ok(heapBytes() > before, "the output should have grown the heap");
    const [av, bv, cv] = [a.dataSync(), b.dataSync(), c.dataSync()];
    for (const [i, j] of [[0, 0], [4095, 4095], [1234, 3210]] as const) {
      assert.ok(Math.abs(cv[i * 4096 + j]! - av[i]! * bv[j]!) < 1e-5);
    }
    tf.dispose([a, b, c]);
  },
);

const cases: [number[], number[]][] = [
  [[5, 3], [3, 4]],
  [[1, 7], [7, 1]],
  [[2, 5, 3], [3, 4]],
  [[2, 5, 3], [2, 3, 4]],
  [[2, 1, 5, 3], [3, 3, 4]],
];

Deno.test(
  "BatchMatMul on BLAS matches a float64 reference for every transpose flag and batch shape",
  blas(),
  () => {
    for (const [as, bs] of cases) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const aShape = ta ? [...as.slice(0, -2), as.at(-1)!, as.at(-2)!] : as;
          const bShape = tb ? [...bs.slice(0, -2), bs.at(-1)!, bs.at(-2)!] : bs;
          const a = normalTensor(aShape, 1), b = normalTensor(bShape, 2);
          const want = reference(a, b, ta, tb);
          const got = tf.matMul(a, b, ta, tb);
          assert.deepEqual(got.shape, want.shape);
          assertClose(got, want.values);
        }
      }
    }
  },
);

Deno.test(
  "BatchMatMul on BLAS handles a large product with transposed operands",
  blas(),
  () => {
    const a = normalTensor([300, 200], 3), b = normalTensor([150, 300], 4);
    assertClose(
      tf.matMul(a, b, true, true),
      reference(a, b, true, true).values,
      1e-4,
    );
  },
);

Deno.test(
  "BatchMatMul on BLAS rejects mismatched inner dimensions naming both shapes",
  blas(),
  () => {
    // Straight to the kernel: the tf.matMul op would check first.
    assert.throws(
      () =>
        tf.engine().runKernel(tf.BatchMatMul, {
          a: normalTensor([2, 3], 1),
          b: normalTensor([4, 2], 2),
        }, { transposeA: false, transposeB: false }),
      /matching inner dimensions: 3 vs 4 for a \[2,3\] .* and b \[4,2\]/,
    );
  },
);

Deno.test(
  "fused matMul on BLAS applies bias and every supported activation",
  blas(),
  () => {
    const a = normalTensor([6, 5], 5), b = normalTensor([5, 4], 6);
    const bias = normalTensor([4], 7), alpha = 0.3;
    const prelu = normalTensor([4], 8);
    const base = reference(a, b, false, false).values.map((v, i) =>
      v + bias.dataSync()[i % 4]!
    );
    const act: Record<string, (x: number, i: number) => number> = {
      linear: (x) => x,
      relu: (x) => Math.max(x, 0),
      relu6: (x) => Math.min(Math.max(x, 0), 6),
      elu: (x) => (x < 0 ? Math.expm1(x) : x),
      sigmoid: (x) => 1 / (1 + Math.exp(-x)),
      leakyrelu: (x) => (x < 0 ? alpha * x : x),
      prelu: (x, i) => (x < 0 ? prelu.dataSync()[i % 4]! * x : x),
    };
    for (const [name, f] of Object.entries(act)) {
      const got = tf.fused.matMul({
        a,
        b,
        bias,
        activation: name as tf.fused.Activation,
        leakyreluAlpha: alpha,
        ...(name === "prelu" ? { preluActivationWeights: prelu } : {}),
      });
      assertClose(got, base.map(f), 1e-5);
    }
  },
);

Deno.test(
  "fused matMul on BLAS broadcasts a per-row bias and transposes operands",
  blas(),
  () => {
    const a = normalTensor([5, 6], 9), b = normalTensor([4, 5], 10);
    const bias = normalTensor([6, 1], 11);
    const want = reference(a, b, true, true).values.map((v, i) =>
      v + bias.dataSync()[Math.floor(i / 4)]!
    );
    assertClose(
      tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias }),
      want,
    );
  },
);

Deno.test(
  "fused matMul on BLAS rejects a bias that does not broadcast",
  blas(),
  () => {
    const a = normalTensor([1, 2, 3], 1), b = normalTensor([1, 3, 4], 2);
    assert.throws(
      () =>
        tf.engine().runKernel(tf._FusedMatMul, {
          a,
          b,
          bias: normalTensor([3], 3),
        }, {
          transposeA: false,
          transposeB: false,
          activation: "linear",
        }),
      /bias of shape \[3\] does not broadcast to the product's shape \[1,2,4\]/,
    );
  },
);
