/**
 * The ASMIL anchor as a wrapper around any attention-MIL model: a second
 * copy of the architecture (the anchor) supplies attention scores, turned
 * into a target by the normalized sigmoid, and the online model's attention
 * is pulled toward it by `parts.anchor` (notes/method.md). The anchor is not
 * optimised: after each optimiser step the trainer calls `afterStep()`
 * (= `updateAnchor()`), which applies `θ_a ← m·θ_a + (1−m)·θ_o` for the
 * `"ema"` update and nothing for `"frozen"`. The trainer also calls
 * `startEpoch(epoch)`, which drives the variants' schedule: no anchor term
 * nor update during a warm-up (then, with `"copy"` init, a fresh copy of
 * the online weights), and the EMA momentum ramp (anchor_schedule.ts).
 * The loss variants live in anchor_loss.ts, the options in
 * anchor_options.ts.
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
import { type AnchorOptions, checkAnchorOptions } from "./anchor_options.ts";
import { anchorActive, anchorMomentum } from "./anchor_schedule.ts";
import { readValues, replaceValues } from "./backend/live_values.ts";

export {
  ANCHOR_DEFAULTS,
  ANCHOR_PRESETS,
  type AnchorOptions,
  type AnchorPreset,
  type AnchorSpec,
  checkAnchorOptions,
  resolveAnchorOptions,
} from "./anchor_options.ts";

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
 * import { Rng } from "../core/random.ts";
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
  /** The epoch the trainer announced last (0 until it does). */
  #epoch = 0;

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

  /**
   * The online model's loss plus `parts.anchor` (weighted; 0 during the
   * warm-up).
   */
  loss(
    features: tf.Tensor2D,
    label: number,
    options: ForwardOptions,
  ): LossOutput {
    return tf.tidy(() => {
      const out = this.online.loss(features, label, options);
      const a = this.options.anchor;
      if (!anchorActive(a, this.#epoch)) {
        const anchor = tf.scalar(0);
        return { ...out, parts: { ...out.parts, anchor } };
      }
      const target = this.anchorAttention(features);
      const anchor = tf.mul(
        anchorLoss(target, out.attention, {
          tau: a.tau,
          onlineNormalisation: this.online.attentionNormalisation,
          form: a.form,
          reduction: a.reduction,
          target: a.target,
          targetTemperature: a.targetTemperature,
          targetContrast: a.targetContrast,
        }),
        a.weight,
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
   * Trainer hook before each epoch (0-based, also on resume): sets the
   * epoch the warm-up and the momentum ramp read; at the end of a warm-up
   * a `"copy"` anchor becomes a fresh copy of the online weights.
   */
  startEpoch(epoch: number, _epochs?: number): void {
    this.#epoch = epoch;
    const a = this.options.anchor;
    if (a.warmupEpochs > 0 && epoch === a.warmupEpochs && a.init === "copy") {
      this.#blend(0);
    }
  }

  /** The EMA momentum of the current epoch (anchor_schedule.ts). */
  get momentum(): number {
    return anchorMomentum(this.options.anchor, this.#epoch);
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

  /**
   * EMA update of the anchor with the current epoch's momentum (no-op when
   * frozen or during the warm-up); call after each optimiser step.
   */
  updateAnchor(): void {
    const a = this.options.anchor;
    if (a.update === "frozen" || !anchorActive(a, this.#epoch)) return;
    this.#blend(this.momentum);
  }

  /** θ_a ← m·θ_a + (1−m)·θ_o for every pair (m = 0: a copy). */
  #blend(m: number): void {
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
