/**
 * The ASMIL anchor as a wrapper around any attention-MIL model: a second
 * copy of the architecture (the anchor) supplies attention scores, turned
 * into a target by the normalized sigmoid, and the online model's attention
 * is pulled toward it by `parts.anchor` (notes/method.md). The anchor is not
 * optimised: after each optimiser step the trainer calls `afterStep()`
 * (= `updateAnchor()`), which applies `θ_a ← m·θ_a + (1−m)·θ_o` for the
 * `"ema"` update and nothing for `"frozen"`.
 *
 * Build one with `createAnchored()` / `buildModel()` (anchor_factory.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  ForwardOptions,
  ForwardOutput,
  LossOutput,
  MilModel,
  ModelOptions,
  OptimisationGroup,
} from "./mil_model.ts";
import { anchorLoss } from "./anchor_loss.ts";
import { readValues, replaceValues } from "./backend/live_values.ts";

/** How the anchor is initialised, updated and weighted. */
export interface AnchorOptions {
  /** `"copy"`: start as a copy of the online weights (intended ASMIL); `"independent"`: own random init (released code). */
  init: "copy" | "independent";
  /** `"ema"`: θ_a ← m·θ_a + (1−m)·θ_o after each step; `"frozen"`: never changes. */
  update: "ema" | "frozen";
  /** EMA momentum m in [0, 1]. */
  momentum: number;
  /** Temperature τ of the normalized sigmoid. */
  tau: number;
  /** Weight of the anchor loss. */
  weight: number;
  /** Seed of an `"independent"` anchor's init (default: the online seed + 1). */
  seed?: number;
}

/** The defaults: the intended ASMIL anchor. */
export const ANCHOR_DEFAULTS: Readonly<AnchorOptions> = {
  init: "copy",
  update: "ema",
  momentum: 0.999,
  tau: 0.5,
  weight: 1,
};

/**
 * An online model plus its anchor; itself a {@link MilModel}. Its
 * `trainableVariables()` are the online model's only; `stateVariables()`
 * adds the anchor's for checkpoints.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "./abmil.ts";
 * import { createAnchored } from "./anchor_factory.ts";
 * import { Rng } from "../pipeline/random.ts";
 * const model = createAnchored("gated_abmil", { inputDim: 8, numClasses: 2, innerDim: 16 });
 * const x = tf.randomNormal([5, 8]) as tf.Tensor2D;
 * const optimizer = tf.train.adam(1e-3);
 * optimizer.minimize(
 *   () => model.loss(x, 1, { training: true, rng: new Rng(1) }).total,
 *   false,
 *   model.trainableVariables(),
 * );
 * model.afterStep(); // EMA update of the anchor, once per optimiser step
 * model.dispose();
 * ```
 */
export class AnchoredModel implements MilModel {
  readonly name: string;
  readonly options: Readonly<ModelOptions & { anchor: AnchorOptions }>;
  readonly attentionNormalisation: "softmax" | "sigmoid";
  /** The wrapped model being trained. */
  readonly online: MilModel;
  /** The anchor: same architecture, not optimised. */
  readonly anchor: MilModel;
  readonly #pairs: [anchor: tf.Variable, online: tf.Variable][];

  /**
   * Wraps `online` with `anchor` (a second instance of the same
   * architecture, owned and disposed by the wrapper from now on).
   */
  constructor(online: MilModel, anchor: MilModel, options: AnchorOptions) {
    checkAnchorOptions(options);
    const onlineVars = online.trainableVariables();
    const anchorVars = anchor.trainableVariables();
    const mismatch = onlineVars.length !== anchorVars.length ||
      onlineVars.some((v, i) => v.shape.join() !== anchorVars[i]?.shape.join());
    if (online.name !== anchor.name || mismatch) {
      throw new Error(
        `The anchor must have the online model's architecture: got ${anchor.name} with ${anchorVars.length} variables for ${online.name} with ${onlineVars.length}`,
      );
    }
    this.name = online.name;
    this.online = online;
    this.anchor = anchor;
    this.attentionNormalisation = online.attentionNormalisation;
    this.options = { ...online.options, anchor: { ...options } };
    this.#pairs = anchorVars.map((a, i) => [a, onlineVars[i] as tf.Variable]);
    for (const [a, o] of this.#pairs) {
      // Not trainable: an optimiser run without a var list must skip it.
      a.trainable = false;
      if (options.init === "copy") a.assign(o);
    }
  }

  /** The online model's forward pass (the anchor is not needed for it). */
  forward(features: tf.Tensor2D, options: ForwardOptions): ForwardOutput {
    return this.online.forward(features, options);
  }

  /** The online model's loss plus `parts.anchor` (weighted). */
  loss(
    features: tf.Tensor2D,
    label: number,
    options: ForwardOptions,
  ): LossOutput {
    return tf.tidy(() => {
      const out = this.online.loss(features, label, options);
      const target = this.anchorAttention(features);
      const anchor = tf.mul(
        anchorLoss(target, out.attention, {
          tau: this.options.anchor.tau,
          onlineNormalisation: this.online.attentionNormalisation,
        }),
        this.options.anchor.weight,
      ) as tf.Scalar;
      return {
        logits: out.logits,
        attention: out.attention,
        total: tf.add(out.total, anchor) as tf.Scalar,
        parts: { ...out.parts, anchor },
      };
    });
  }

  /**
   * The anchor's pre-normalisation scores `[heads, N]` (evaluation mode), as
   * a constant: copied out of the graph so no gradient can reach the anchor
   * (tfjs has no stop-gradient op).
   */
  anchorAttention(features: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const scores = this.anchor.attentionScores?.(features) ??
        this.anchor.forward(features, { training: false }).attention;
      return tf.tensor2d(scores.dataSync() as Float32Array, scores.shape);
    });
  }

  /** EMA update of the anchor (no-op when frozen); call after each optimiser step. */
  updateAnchor(): void {
    if (this.options.anchor.update === "frozen") return;
    const m = this.options.anchor.momentum;
    const anchors = this.#pairs.map(([a]) => a);
    // Fresh storage, not in place: kernels cache packed weights by data id.
    const rest = replaceValues(anchors, (i, next, current) => {
      const online = this.#pairs[i]![1];
      const ov = readValues(online);
      for (let j = 0; j < next.length; j++) {
        next[j] = m * current[j]! + (1 - m) * ov[j]!;
      }
    });
    for (const i of rest) {
      const [a, o] = this.#pairs[i]!;
      tf.tidy(() => a.assign(tf.add(tf.mul(a, m), tf.mul(o, 1 - m))));
    }
  }

  /** Trainer hook: the anchor update. */
  afterStep(): void {
    this.updateAnchor();
  }

  trainableVariables(): tf.Variable[] {
    return this.online.trainableVariables();
  }

  /**
   * The online model's groups, each also trained on the anchor term (whose
   * gradient reaches only the variables the online attention depends on).
   */
  optimisationGroups(): OptimisationGroup[] {
    const groups = this.online.optimisationGroups?.();
    if (!groups) return [{ name: "all", variables: this.trainableVariables() }];
    return groups.map((g) => {
      const parts = g.loss === undefined ? ["total"] : [g.loss].flat();
      return parts.includes("total") ? g : { ...g, loss: [...parts, "anchor"] };
    });
  }

  /** Online state then the anchor's variables. */
  stateVariables(): tf.Variable[] {
    const online = this.online.stateVariables?.() ??
      this.online.trainableVariables();
    return [
      ...online,
      ...(this.anchor.stateVariables?.() ?? this.#pairs.map(([a]) => a)),
    ];
  }

  dispose(): void {
    this.online.dispose();
    this.anchor.dispose();
  }
}

/** Throws on an anchor option outside its domain, naming it and its value. */
export function checkAnchorOptions(options: AnchorOptions): void {
  const bad = (key: string, want: string, value: unknown) =>
    new RangeError(
      `Anchor option ${key} must be ${want}: current value is ${
        JSON.stringify(value)
      }`,
    );
  if (options.init !== "copy" && options.init !== "independent") {
    throw bad("init", `"copy" or "independent"`, options.init);
  }
  if (options.update !== "ema" && options.update !== "frozen") {
    throw bad("update", `"ema" or "frozen"`, options.update);
  }
  if (!(options.momentum >= 0 && options.momentum <= 1)) {
    throw bad("momentum", "in [0, 1]", options.momentum);
  }
  if (!(options.tau > 0 && Number.isFinite(options.tau))) {
    throw bad("tau", "a positive number", options.tau);
  }
  if (!(options.weight >= 0 && Number.isFinite(options.weight))) {
    throw bad("weight", "a non-negative number", options.weight);
  }
}
