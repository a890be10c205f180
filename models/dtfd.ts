/**
 * DTFD-MIL (Zhang et al. 2022) as in notes/method.md, with MaxMinS
 * (`dtfd_maxmins`) or AFS (`dtfd_afs`) feature distillation:
 * - the bag is split into `groups` (4) pseudo-bags: a random partition in
 *   training (from the step's Rng), instance i → pseudo-bag i mod 4 in
 *   evaluation (deterministic, so evaluation and the anchor need no Rng);
 * - tier 1: Linear(D → D_inner, no bias) + ReLU, gated attention (hidden
 *   128) with softmax within each pseudo-bag, a classifier on each
 *   pseudo-bag's pooled feature; every pseudo-bag gets the slide label;
 * - distillation per pseudo-bag: AFS = its pooled feature; MaxMinS = its
 *   instances with the highest and lowest instance score, the score being
 *   1 − p(class 0) of the class-activation logits a_i·(W_cls h_i) (for two
 *   classes this is the reference's p(last class));
 * - tier 2: gated attention over the distilled features → classifier.
 *
 * Parts: `tier1` (mean CE of the pseudo-bags) and `ce` (the tier-2 slide
 * CE, which is also the prediction); total = tier1 + ce. Two optimisation
 * groups: tier 1's variables train on `tier1`, tier 2's on `ce` (the
 * reference also lets the tier-2 loss reach tier 1, unclipped; here each
 * tier sees only its own loss). The pseudo-bags are computed with one
 * membership mask `[G, N]`, so no per-bag slicing: the cost is one pass.
 *
 * `attention` is the tier-1 score of every instance, `[1, N]` in the
 * original instance order. Softmax over all N of it equals, within each
 * pseudo-bag, the pseudo-bag's own attention up to one factor per
 * pseudo-bag, and unlike the latter it does not depend on the partition.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  ForwardOptions,
  ForwardOutput,
  ModelOptions,
  OptimisationGroup,
} from "./mil_model.ts";
import { type ModelOptionSpec, registerModel } from "./registry.ts";
import { checkModelOptions, type LossParts, MilBase } from "./mil_base.ts";
import { crossEntropy } from "./abmil_loss.ts";
import { applyLinear, type LinearParams } from "./weights_scope.ts";
import { GatedAttention } from "./layers/gated_attention.ts";
import { meanCrossEntropy } from "./layers/mean_cross_entropy.ts";
import { requireRng } from "./layers/require_rng.ts";
import { defaultInnerDim, INNER_DIM_OPTION } from "./layers/options.ts";
import { selectRows } from "./layers/select_rows.ts";
import type { Rng } from "../core/random.ts";

/** How pseudo-bag features are distilled for tier 2. */
export type DtfdDistill = "maxmins" | "afs";

/** Options of `dtfd_maxmins` and `dtfd_afs`. */
export interface DtfdOptions extends ModelOptions {
  /** Width after dimension reduction; default ≈ D/2 (512 for D = 1024). */
  innerDim?: number;
  /** Hidden width of both gated attentions; default 128. */
  attentionDim?: number;
  /** Pseudo-bags per bag; default 4 (fewer when N is smaller). */
  groups?: number;
  /** Set by the registered name; given, it must agree with it. */
  distill?: DtfdDistill;
}

/** Defaults of both variants (innerDim resolved from inputDim). */
export const DTFD_DEFAULTS = { attentionDim: 128, groups: 4, seed: 0 };

/** DTFD-MIL's pass: the outputs and each pseudo-bag's logits `[G, C]`. */
interface DtfdPass extends ForwardOutput {
  subLogits: tf.Tensor2D;
}

/**
 * Double-tier feature distillation MIL.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Dtfd } from "./dtfd.ts";
 * const model = new Dtfd({ inputDim: 8, numClasses: 2, seed: 1 }, "afs");
 * const { attention } = model.forward(tf.randomNormal([10, 8]), { training: false });
 * if (attention.shape.join() !== "1,10") throw new Error("[1, N]");
 * if (model.optimisationGroups().length !== 2) throw new Error("two tiers");
 * model.dispose();
 * ```
 */
export class Dtfd extends MilBase<DtfdOptions, DtfdPass> {
  #reduce: LinearParams;
  #attention1: GatedAttention;
  #classifier1: LinearParams;
  #attention2: GatedAttention;
  #classifier2: LinearParams;
  #tier1: tf.Variable[];
  #tier2: tf.Variable[];

  /** Builds the `distill` variant from `options`. */
  constructor(options: DtfdOptions, distill: DtfdDistill) {
    if (options.distill !== undefined && options.distill !== distill) {
      throw new RangeError(
        `dtfd_${distill} distils with "${distill}": got option distill "${options.distill}" (use dtfd_${options.distill})`,
      );
    }
    const resolved = {
      ...DTFD_DEFAULTS,
      innerDim: defaultInnerDim(options.inputDim, 8),
      ...options,
      distill,
    } as Required<DtfdOptions>;
    checkModelOptions("DTFD-MIL", resolved, DTFD_OPTIONS);
    super(`dtfd_${distill}`, resolved);
    const { inputDim, innerDim, attentionDim, numClasses } = resolved;
    const scope = this.scope;
    this.#reduce = scope.linear("reduce", inputDim, innerDim, { bias: false });
    this.#attention1 = new GatedAttention(
      scope,
      "tier1.attention",
      innerDim,
      attentionDim,
      1,
    );
    this.#classifier1 = scope.linear("tier1.classifier", innerDim, numClasses);
    const split = scope.variables().length;
    this.#attention2 = new GatedAttention(
      scope,
      "tier2.attention",
      innerDim,
      attentionDim,
      1,
    );
    this.#classifier2 = scope.linear("tier2.classifier", innerDim, numClasses);
    this.#tier1 = scope.variables().slice(0, split);
    this.#tier2 = scope.variables().slice(split);
  }

  protected override lossOf(pass: DtfdPass, label: number): LossParts {
    const tier1 = meanCrossEntropy(pass.subLogits, label);
    const ce = crossEntropy(pass.logits, label);
    const total = tf.add(tier1, ce) as tf.Scalar;
    return { total, parts: { ce, tier1 } };
  }

  /** Tier 1 (reduction, attention, pseudo-bag classifier) on `tier1`; tier 2 on `ce`. */
  optimisationGroups(): OptimisationGroup[] {
    return [
      { name: "tier1", variables: [...this.#tier1], loss: "tier1" },
      { name: "tier2", variables: [...this.#tier2], loss: "ce" },
    ];
  }

  protected override pass(
    features: tf.Tensor2D,
    options: ForwardOptions,
  ): DtfdPass {
    const n = features.shape[0];
    const g = Math.min(this.options.groups, n);
    const membership = options.training
      ? randomPartition(n, g, requireRng(options, "DTFD-MIL's pseudo-bags"))
      : roundRobinPartition(n, g);
    const inGroup = tf.tensor2d(membership, [g, n]);
    const h = applyLinear(features, this.#reduce, "relu");
    const attention = this.#attention1.scores(h); // [1, N]
    // −1e9 outside the pseudo-bag: softmax weight 0 there, and no gradient.
    const masked = tf.add(attention, tf.mul(tf.sub(inGroup, 1), 1e9));
    const weights = tf.softmax(masked, -1) as tf.Tensor2D; // [G, N]
    const pooled = tf.matMul(weights, h) as tf.Tensor2D; // [G, D_inner]
    const subLogits = applyLinear(pooled, this.#classifier1);
    const distilled = this.options.distill === "afs"
      ? pooled
      : this.#maxMin(h, weights, inGroup);
    const weights2 = tf.softmax(this.#attention2.scores(distilled), -1);
    const slide = tf.matMul(weights2, distilled) as tf.Tensor2D;
    const logits = tf.reshape(
      applyLinear(slide, this.#classifier2),
      [-1],
    ) as tf.Tensor1D;
    return { logits, attention, subLogits };
  }

  /** Per pseudo-bag, the instances with the highest and lowest instance score. */
  #maxMin(
    h: tf.Tensor2D,
    weights: tf.Tensor2D,
    inGroup: tf.Tensor2D,
  ): tf.Tensor2D {
    const picks = tf.tidy(() => {
      // Each instance is in one pseudo-bag: its weight is its column sum.
      const a = tf.reshape(tf.sum(weights, 0), [-1, 1]);
      const cam = tf.mul(tf.matMul(h, this.#classifier1.w), a); // [N, C]
      const p0 = tf.slice(tf.softmax(cam, -1), [0, 0], [-1, 1]);
      const score = tf.reshape(tf.sub(1, p0), [1, -1]); // [1, N], in [0, 1]
      const outside = tf.mul(tf.sub(1, inGroup), 4); // pushes others out of range
      return tf.concat([
        tf.argMax(tf.sub(score, outside), 1),
        tf.argMin(tf.add(score, outside), 1),
      ]);
    });
    const indices = Array.from(picks.dataSync());
    picks.dispose();
    return selectRows(h, indices);
  }
}

/** Membership `[g, n]` of a random partition into g near-equal pseudo-bags. */
function randomPartition(n: number, g: number, rng: Rng): Float32Array {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const membership = new Float32Array(g * n);
  // array_split sizes: the first n mod g pseudo-bags get one more.
  const base = Math.floor(n / g), extra = n % g;
  let pos = 0;
  for (let k = 0; k < g; k++) {
    const size = base + (k < extra ? 1 : 0);
    for (let j = 0; j < size; j++) {
      membership[k * n + (order[pos++] as number)] = 1;
    }
  }
  return membership;
}

/** Membership `[g, n]` with instance i in pseudo-bag i mod g. */
function roundRobinPartition(n: number, g: number): Float32Array {
  const membership = new Float32Array(g * n);
  for (let i = 0; i < n; i++) membership[(i % g) * n + i] = 1;
  return membership;
}

/** The options of `dtfd_maxmins` and `dtfd_afs` and their ranges (`distill` is set by the name). */
const DTFD_OPTIONS: Readonly<Record<string, ModelOptionSpec>> = {
  innerDim: INNER_DIM_OPTION,
  attentionDim: {
    about: "hidden width of both gated attentions",
    type: "integer",
    min: 1,
  },
  groups: {
    about: "pseudo-bags per bag (fewer when N is smaller)",
    type: "integer",
    min: 1,
  },
};

for (const distill of ["maxmins", "afs"] as const) {
  registerModel({
    name: `dtfd_${distill}`,
    description:
      `DTFD-MIL (Zhang 2022): 4 pseudo-bags, tier-1 and tier-2 gated attention, ${
        distill === "afs" ? "AFS" : "MaxMinS"
      } distillation, two optimisers`,
    defaults: DTFD_DEFAULTS,
    options: DTFD_OPTIONS,
    factory: (options) => new Dtfd(options, distill),
  });
}
