import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random.ts";
import { type BackendChoice, useBackend } from "./backend/mod.ts";
import { createModel } from "./all.ts";
import type { MilModel } from "./mil_model.ts";
import { localName } from "./weights_scope.ts";
import { needs } from "../testing/system_libs.ts";
import { needsWebGpu } from "../testing/webgpu.ts";
import { normalTensor } from "../testing/model_fixtures.ts";

// Small enough for finite differences, large enough that every matmul of
// the forward and backward pass (incl. transposed operands) is exercised.
const D = 12, N = 7, C = 3, LABEL = 2;
const options = {
  inputDim: D,
  numClasses: C,
  innerDim: 10,
  attentionDim: 6,
  seed: 3,
};

function features(): tf.Tensor2D {
  return normalTensor([N, D], 11);
}

interface Gradients {
  loss: number;
  grads: Map<string, Float32Array>;
}

async function gradientsOn(
  backend: BackendChoice,
  name: string,
): Promise<Gradients> {
  await useBackend(backend, { quiet: true });
  const model = createModel(name, options);
  const x = features();
  const { value, grads } = tf.variableGrads(
    () => model.loss(x, LABEL, { training: false }).total,
    model.trainableVariables(),
  );
  const out = new Map<string, Float32Array>();
  for (const v of model.trainableVariables()) {
    out.set(localName(v), grads[v.name]!.dataSync() as Float32Array);
  }
  const loss = value.dataSync()[0]!;
  tf.dispose([value, x, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: out };
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function assertGradientsMatch(
  got: Gradients,
  want: Gradients,
  tolerance: number,
) {
  assert.ok(
    Math.abs(got.loss - want.loss) <= tolerance * Math.abs(want.loss),
    `loss ${got.loss} vs ${want.loss}`,
  );
  assert.deepEqual([...got.grads.keys()], [...want.grads.keys()]);
  for (const [name, w] of want.grads) {
    const g = got.grads.get(name)!;
    const diff = maxAbs(g.map((v, i) => v - w[i]!));
    const scale = maxAbs(w);
    assert.ok(scale > 0, `${name} has a zero gradient`);
    assert.ok(
      diff <= tolerance * scale,
      `${name}: max difference ${diff} vs gradient scale ${scale}`,
    );
  }
}

const noBlas = () =>
  needs("libopenblas0-pthread", "gradient checks on the blas backend").ignore;

for (const name of ["abmil", "gated_abmil"]) {
  Deno.test({
    name:
      `${name} gradients on the BLAS backend match stock tfjs cpu within 1e-4 relative`,
    ignore: noBlas(),
    async fn() {
      const cpu = await gradientsOn("cpu", name);
      assertGradientsMatch(await gradientsOn("blas", name), cpu, 1e-4);
    },
  });

  Deno.test(`${name} gradients on plain wasm match stock tfjs cpu within 1e-4 relative`, async () => {
    const cpu = await gradientsOn("cpu", name);
    assertGradientsMatch(await gradientsOn("wasm", name), cpu, 1e-4);
  });

  // float32 on a GPU sums in another order (tiled matmuls, tree
  // reductions); the same bound holds.
  Deno.test({
    name:
      `${name} gradients on webgpu match stock tfjs cpu within 1e-4 relative`,
    ...await needsWebGpu("gradient checks on the webgpu backend"),
    async fn() {
      const cpu = await gradientsOn("cpu", name);
      assertGradientsMatch(await gradientsOn("webgpu", name), cpu, 1e-4);
    },
  });
}

/** Loss of `model` on `x` with variable `v`'s element `i` shifted by `delta`. */
function shiftedLoss(
  model: MilModel,
  x: tf.Tensor2D,
  v: tf.Variable,
  i: number,
  delta: number,
): number {
  const original = v.dataSync().slice() as Float32Array;
  const shifted = original.slice();
  shifted[i] = shifted[i]! + delta;
  tf.tidy(() => v.assign(tf.tensor(shifted, v.shape)));
  const loss = tf.tidy(() =>
    model.loss(x, LABEL, { training: false }).total.dataSync()[0]!
  );
  tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
  return loss;
}

const finiteDifferenceBackends: {
  backend: BackendChoice;
  label: string;
  ignore: boolean;
}[] = [
  { backend: "blas", label: "the BLAS backend", ignore: noBlas() },
  {
    backend: "webgpu",
    label: "webgpu",
    ...await needsWebGpu("finite-difference check on the webgpu backend"),
  },
];

for (const { backend, label, ignore } of finiteDifferenceBackends) {
  Deno.test({
    name: `gated_abmil gradients on ${label} match central finite differences`,
    ignore,
    fn: async () => {
      const { grads } = await gradientsOn(backend, "gated_abmil");
      const model = createModel("gated_abmil", options);
      const x = features();
      const rng = new Rng(5);
      const eps = 1e-2;
      const worst: string[] = [];
      for (const v of model.trainableVariables()) {
        const g = grads.get(localName(v))!;
        const scale = maxAbs(g);
        for (let s = 0; s < 4; s++) {
          const i = rng.int(v.size);
          const fd = (shiftedLoss(model, x, v, i, eps) -
            shiftedLoss(model, x, v, i, -eps)) /
            (2 * eps);
          const error = Math.abs(fd - g[i]!);
          if (error > 1e-2 * scale + 2e-5) {
            worst.push(
              `${localName(v)}[${i}]: analytic ${
                g[i]
              }, finite difference ${fd}`,
            );
          }
        }
      }
      assert.deepEqual(worst, []);
      x.dispose();
      model.dispose();
    },
  });
}
