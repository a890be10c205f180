/**
 * AdamW (decoupled weight decay, as PyTorch's `torch.optim.AdamW`) over tfjs
 * variables, with global-norm gradient clipping and a state that can be saved
 * and restored for resumable training.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  liveValues,
  readValues,
  replaceValues,
} from "../../models/backend/live_values.ts";

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWOptions {
  /** Decoupled weight decay; default 1e-5 (the reference protocol). */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Saved optimiser state. */
export interface AdamWState {
  step: number;
  moments: { name: string; m: Float32Array; v: Float32Array }[];
}

/**
 * Decoupled-weight-decay Adam.
 *
 * Per step t with gradient g: θ ← θ(1 − lr·wd); m ← β₁m + (1−β₁)g;
 * v ← β₂v + (1−β₂)g²; θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ),
 * v̂ = v/(1−β₂ᵗ).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
import { liveValues } from "../../models/backend/live_values.ts";
 * import { AdamW } from "./adamw.ts";
 * const w = tf.variable(tf.scalar(1), true, "w");
 * const opt = new AdamW([w]);
 * const { grads } = tf.variableGrads(() => w.square() as tf.Scalar, [w]);
 * opt.update(grads, 0.1);
 * if (!(w.dataSync()[0]! < 1)) throw new Error("did not descend");
 * ```
 */
export class AdamW {
  readonly #variables: tf.Variable[];
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  readonly #weightDecay: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  #step = 0;

  /** Optimises `variables` (each must have a unique name). */
  constructor(variables: tf.Variable[], options: AdamWOptions = {}) {
    const names = new Set<string>();
    for (const v of variables) {
      if (names.has(v.name)) {
        throw new Error(
          `AdamW needs unique variable names: "${v.name}" appears twice`,
        );
      }
      names.add(v.name);
    }
    this.#variables = variables;
    this.#m = variables.map((v) => zeroVariable(v));
    this.#v = variables.map((v) => zeroVariable(v));
    this.#weightDecay = options.weightDecay ?? 1e-5;
    this.#beta1 = options.beta1 ?? 0.9;
    this.#beta2 = options.beta2 ?? 0.999;
    this.#epsilon = options.epsilon ?? 1e-8;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#step;
  }

  /**
   * Applies one update with learning rate `lr`. `grads` maps variable names
   * to gradients; a variable without one is only decayed.
   */
  update(grads: tf.NamedTensorMap, lr: number): void {
    this.#step++;
    const t = this.#step;
    const c1 = 1 - this.#beta1 ** t;
    const c2 = 1 - this.#beta2 ** t;
    const rest = this.#updateInPlace(grads, lr, c1, c2);
    if (rest.length === 0) return;
    tf.tidy(() => {
      for (const i of rest) {
        const variable = this.#variables[i] as tf.Variable;
        const m = this.#m[i] as tf.Variable, v = this.#v[i] as tf.Variable;
        let theta: tf.Tensor = variable;
        if (this.#weightDecay > 0) {
          theta = theta.mul(1 - lr * this.#weightDecay);
        }
        const g = grads[variable.name];
        if (g) {
          m.assign(m.mul(this.#beta1).add(g.mul(1 - this.#beta1)));
          v.assign(v.mul(this.#beta2).add(g.square().mul(1 - this.#beta2)));
          const update = m.div(c1).div(v.div(c2).sqrt().add(this.#epsilon));
          theta = theta.sub(update.mul(lr));
        }
        variable.assign(theta);
      }
    });
  }

  /**
   * The update as one pass over the variables' storage (≈4× faster than
   * the op-by-op path on wasm): moments in place, weights into fresh
   * storage (see `replaceValues`); returns the indices of variables whose
   * storage is not reachable, for the op-by-op path.
   */
  #updateInPlace(
    grads: tf.NamedTensorMap,
    lr: number,
    c1: number,
    c2: number,
  ): number[] {
    const b1 = this.#beta1, b2 = this.#beta2, eps = this.#epsilon;
    const decay = 1 - lr * this.#weightDecay, a = lr / c1, ic2 = 1 / c2;
    const moments: number[] = [];
    const reachable = this.#variables.filter((_, i) => {
      const ok = liveValues(this.#m[i] as tf.Variable) !== undefined &&
        liveValues(this.#v[i] as tf.Variable) !== undefined;
      if (ok) moments.push(i);
      return ok;
    });
    const unreached = replaceValues(reachable, (k, theta, current) => {
      const i = moments[k]!;
      const variable = this.#variables[i] as tf.Variable;
      const g = grads[variable.name];
      if (!g) {
        for (let j = 0; j < theta.length; j++) theta[j] = current[j]! * decay;
        return;
      }
      // Views only now, after replaceValues allocated (the heap may grow).
      const gv = readValues(g);
      const m = liveValues(this.#m[i] as tf.Variable)!;
      const v = liveValues(this.#v[i] as tf.Variable)!;
      for (let j = 0; j < theta.length; j++) {
        const gj = gv[j]!;
        const mj = b1 * m[j]! + (1 - b1) * gj;
        const vj = b2 * v[j]! + (1 - b2) * gj * gj;
        m[j] = mj;
        v[j] = vj;
        theta[j] = current[j]! * decay - (a * mj) / (Math.sqrt(vj * ic2) + eps);
      }
    });
    const done = new Set(moments);
    for (const k of unreached) done.delete(moments[k]!);
    return this.#variables.flatMap((_, i) => done.has(i) ? [] : [i]);
  }

  /** The optimiser state, copied out of tensors. */
  getState(): AdamWState {
    return {
      step: this.#step,
      moments: this.#variables.map((v, i) => ({
        name: v.name,
        m: (this.#m[i] as tf.Variable).dataSync() as Float32Array,
        v: (this.#v[i] as tf.Variable).dataSync() as Float32Array,
      })),
    };
  }

  /** Restores a state saved by {@link getState} for the same variables. */
  setState(state: AdamWState): void {
    if (state.moments.length !== this.#variables.length) {
      throw new Error(
        `Optimiser state holds ${state.moments.length} variables, expected ${this.#variables.length}`,
      );
    }
    state.moments.forEach((saved, i) => {
      const variable = this.#variables[i] as tf.Variable;
      // Names may differ between model instances; order and sizes may not.
      if (saved.m.length !== variable.size) {
        throw new Error(
          `Optimiser state for "${saved.name}" (${saved.m.length} values) does not match variable "${variable.name}" (${variable.size} values)`,
        );
      }
      tf.tidy(() => {
        (this.#m[i] as tf.Variable).assign(tf.tensor(saved.m, variable.shape));
        (this.#v[i] as tf.Variable).assign(tf.tensor(saved.v, variable.shape));
      });
    });
    this.#step = state.step;
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t.dispose();
  }
}

/** A non-trainable zero variable shaped like `like`, owning its storage. */
function zeroVariable(like: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(like);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}

/**
 * Scales `grads` in place so their global L2 norm is at most `maxNorm`
 * (PyTorch's `clip_grad_norm_`, factor maxNorm / (norm + 1e-6)); returns the
 * norm before clipping.
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): number {
  const names = Object.keys(grads);
  const norm = Math.sqrt(
    tf.tidy(() =>
      tf.addN(names.map((n) => (grads[n] as tf.Tensor).square().sum()))
        .dataSync()[0] as number
    ),
  );
  if (Number.isFinite(norm) && norm > maxNorm) {
    const factor = maxNorm / (norm + 1e-6);
    for (const n of names) {
      const old = grads[n] as tf.Tensor;
      grads[n] = old.mul(factor);
      old.dispose();
    }
  }
  return norm;
}

/**
 * Half-cycle cosine decay from `base` to 0 over `epochs`, evaluated at the
 * fractional epoch t = epoch + iteration / iterationsPerEpoch.
 */
export function cosineLr(base: number, t: number, epochs: number): number {
  return base * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, epochs) / epochs));
}
