/**
 * Creating a model's trainable variables: names that are unique in the
 * tfjs engine yet stable across instances (for weight files), and seeded,
 * backend-independent initialisation like PyTorch's defaults.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/random.ts";

let instances = 0;

/** Weights of a linear layer `y = x·w + b`, `w` stored `[in, out]`. */
export interface LinearParams {
  w: tf.Variable;
  b?: tf.Variable;
}

/**
 * The name of `variable` inside its model (the part after the instance
 * prefix), as stored in weight files.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { localName } from "./weights_scope.ts";
 * const v = tf.variable(tf.zeros([1]), true, "abmil.9/classifier.b");
 * if (localName(v) !== "classifier.b") throw new Error("prefix dropped");
 * ```
 */
export function localName(variable: tf.Variable): string {
  const slash = variable.name.indexOf("/");
  return slash < 0 ? variable.name : variable.name.slice(slash + 1);
}

/**
 * Makes one model's variables under an instance prefix
 * (`abmil.3/attention.v.w`), initialised from one seed.
 *
 * @example
 * ```ts
 * import { localName, ParamScope } from "./weights_scope.ts";
 * const scope = new ParamScope("demo", 7);
 * const fc = scope.linear("fc", 4, 2);
 * if (localName(fc.w) !== "fc.w") throw new Error("local names are stable");
 * scope.dispose();
 * ```
 */
export class ParamScope {
  #prefix: string;
  #rng: Rng;
  #variables: tf.Variable[] = [];

  /** A scope for model `model`; equal seeds give equal weights. */
  constructor(model: string, seed: number) {
    this.#prefix = `${model}.${++instances}`;
    this.#rng = new Rng(seed);
  }

  /** A trainable variable `local` holding `values` of `shape`. */
  variable(local: string, shape: number[], values: Float32Array): tf.Variable {
    const initial = tf.tensor(values, shape, "float32");
    const v = tf.variable(initial, true, `${this.#prefix}/${local}`);
    initial.dispose();
    this.#variables.push(v);
    return v;
  }

  /** Values drawn uniformly from `[-bound, bound)`. */
  uniform(size: number, bound: number): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = this.#rng.uniform(-bound, bound);
    return values;
  }

  /** Values drawn from N(0, std²). */
  normal(size: number, std: number): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = this.#rng.normal(0, std);
    return values;
  }

  /**
   * A linear layer `inDim → outDim` initialised like PyTorch's `nn.Linear`
   * (Kaiming-uniform with a = √5, i.e. U(±1/√inDim), for weight and bias).
   */
  linear(
    local: string,
    inDim: number,
    outDim: number,
    options: { bias?: boolean } = {},
  ): LinearParams {
    const bound = 1 / Math.sqrt(inDim);
    const w = this.variable(
      `${local}.w`,
      [inDim, outDim],
      this.uniform(inDim * outDim, bound),
    );
    if (options.bias === false) return { w };
    const b = this.variable(
      `${local}.b`,
      [outDim],
      this.uniform(outDim, bound),
    );
    return { w, b };
  }

  /** Every variable made so far, in creation order. */
  variables(): tf.Variable[] {
    return [...this.#variables];
  }

  /** Disposes every variable of the scope. */
  dispose(): void {
    for (const v of this.#variables) v.dispose();
    this.#variables = [];
  }
}

/**
 * `x·w + b` with an optional fused activation.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { applyLinear, ParamScope } from "./weights_scope.ts";
 * const scope = new ParamScope("demo", 1);
 * const y = applyLinear(tf.ones([5, 4]), scope.linear("fc", 4, 3), "relu");
 * if (y.shape.join() !== "5,3") throw new Error("[N, out]");
 * ```
 */
export function applyLinear(
  x: tf.Tensor2D,
  layer: LinearParams,
  activation: "linear" | "relu" = "linear",
): tf.Tensor2D {
  return tf.fused.matMul({
    a: x,
    b: layer.w as tf.Tensor2D,
    ...(layer.b === undefined ? {} : { bias: layer.b }),
    activation,
  }) as tf.Tensor2D;
}
