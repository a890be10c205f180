/**
 * Multi-head cross-attention with one set of weights per query: each of the
 * T queries has its own q/k/v/out projections and LayerNorm and attends over
 * the same N inputs. Scores are `q·kᵀ/√d_head` per head, softmax over the
 * inputs, then out-projection → dropout → LayerNorm (no residual), as in the
 * ASMIL/ACMIL token attention. The key projection has no bias: `q·b_k` is
 * the same for every instance, so the softmax ignores it and it would never
 * get a gradient.
 *
 * The keys and values are never materialised per query: since
 * `q·(W_k h) = (W_kᵀ q)·h` and the softmax weights sum to one,
 * `Σ a_i (W_v h_i + b_v) = W_v (Σ a_i h_i) + b_v`, the layer costs
 * O(N·D·T·heads) instead of O(N·D·T·D). The results are identical.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardOptions } from "../mil_model.ts";
import { dropout } from "./dropout.ts";
import { LayerNorm } from "./layer_norm.ts";
import { ParallelLinear } from "./parallel_linear.ts";
import type { ParamScope } from "../weights_scope.ts";

/** Shape and regularisation of a {@link CrossAttention}. */
export interface CrossAttentionOptions {
  /** Number of queries T, each with its own weights. */
  queries: number;
  /** Feature dimension of queries, inputs and outputs. */
  dim: number;
  /** Heads per query; must divide `dim`. */
  heads: number;
  /** Dropout after the out-projection (training only). */
  dropout: number;
  /** LayerNorm epsilon. */
  eps: number;
}

/** What a {@link CrossAttention} returns. */
export interface CrossAttentionOutput {
  /** One feature per query `[T, dim]`. */
  features: tf.Tensor2D;
  /** Pre-softmax scores `[T·heads, N]`, query-major (row = t·heads + h). */
  scores: tf.Tensor2D;
}

/**
 * T queries attending over N inputs, each with its own multi-head weights.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { CrossAttention } from "./cross_attention.ts";
 * import { ParamScope } from "../weights_scope.ts";
 * const scope = new ParamScope("demo_xattn", 1);
 * const attn = new CrossAttention(scope, "attn", {
 *   queries: 2, dim: 8, heads: 4, dropout: 0.1, eps: 1e-6,
 * });
 * const out = attn.apply(tf.ones([2, 8]), tf.randomNormal([5, 8]), { training: false });
 * if (out.scores.shape.join() !== "8,5") throw new Error("scores [T·heads, N]");
 * scope.dispose();
 * ```
 */
export class CrossAttention {
  readonly options: Readonly<CrossAttentionOptions>;
  readonly q: ParallelLinear;
  readonly k: ParallelLinear;
  readonly v: ParallelLinear;
  readonly out: ParallelLinear;
  readonly norm: LayerNorm;

  /** Creates the projections `<local>.{q,k,v,out}` and `<local>.norm`. */
  constructor(
    scope: ParamScope,
    local: string,
    options: CrossAttentionOptions,
  ) {
    const { queries, dim, heads } = options;
    if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
      throw new RangeError(
        `Cannot construct CrossAttention as heads must divide dim: got heads ${heads}, dim ${dim}`,
      );
    }
    this.options = { ...options };
    this.q = new ParallelLinear(scope, `${local}.q`, queries, dim, dim);
    this.k = new ParallelLinear(scope, `${local}.k`, queries, dim, dim, {
      bias: false,
    });
    this.v = new ParallelLinear(scope, `${local}.v`, queries, dim, dim);
    this.out = new ParallelLinear(scope, `${local}.out`, queries, dim, dim);
    this.norm = new LayerNorm(
      scope,
      `${local}.norm`,
      queries,
      dim,
      options.eps,
    );
  }

  /**
   * Attends with `queries [T, dim]` over `inputs [N, dim]`.
   */
  apply(
    queries: tf.Tensor2D,
    inputs: tf.Tensor2D,
    options: ForwardOptions,
  ): CrossAttentionOutput {
    const { queries: t, dim, heads } = this.options;
    if (queries.shape[0] !== t || queries.shape[1] !== dim) {
      throw new RangeError(
        `CrossAttention expects queries [${t}, ${dim}]: got [${queries.shape}]`,
      );
    }
    if (inputs.shape[1] !== dim) {
      throw new RangeError(
        `CrossAttention expects inputs [N, ${dim}]: got [${inputs.shape}]`,
      );
    }
    const dh = dim / heads;
    const rows = t * heads;
    // q [T·H, dh, 1]
    const q = tf.reshape(this.q.apply(queries), [rows, dh, 1]);
    // W_k split by head: [T, D, H, dh] → [T·H, D, dh]
    const headCols = (w: tf.Tensor) =>
      tf.reshape(
        tf.transpose(tf.reshape(w, [t, dim, heads, dh]), [0, 2, 1, 3]),
        [rows, dim, dh],
      ) as tf.Tensor3D;
    const keyQuery = tf.reshape(
      tf.matMul(headCols(this.k.weight), q as tf.Tensor3D),
      [rows, dim],
    ) as tf.Tensor2D;
    const scale = 1 / Math.sqrt(dh);
    const scores = tf.mul(
      tf.matMul(keyQuery, inputs, false, true),
      scale,
    ) as tf.Tensor2D;
    const weights = tf.softmax(scores, -1);
    // Σ a_i h_i per (query, head), then that head's slice of W_v.
    const pooled = tf.reshape(tf.matMul(weights, inputs), [rows, 1, dim]);
    const perHead = tf.matMul(
      pooled as tf.Tensor3D,
      headCols(this.v.weight),
    );
    const values = tf.add(
      tf.reshape(perHead, [t, dim]),
      this.v.bias as tf.Variable,
    ) as tf.Tensor2D;
    const projected = dropout(
      this.out.apply(values),
      this.options.dropout,
      options,
    );
    return { features: this.norm.apply(projected), scores };
  }
}
