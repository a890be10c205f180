/**
 * One optimisation step on one bag: gradients of the loss (or, for models
 * with several optimisation groups, of each group's loss part), clipping,
 * AdamW updates, then the model's `afterStep()` hook.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MilModel, OptimisationGroup } from "../../models/mil_model.ts";
import type { Rng } from "../../core/random.ts";
import { AdamW, type AdamWState, clipByGlobalNorm } from "./adamw.ts";

/** Options of {@link StepRunner}. */
export interface StepOptions {
  weightDecay: number;
  /** Global-norm clip per group; `null` for none. */
  clipNorm: number | null;
  /** AdamW: also decay variables without a gradient (default false: skip them, as PyTorch). */
  decayWithoutGradient?: boolean;
}

/** Loss values of one step. */
export interface StepLosses {
  total: number;
  parts: Record<string, number>;
}

/**
 * Applies training steps to a model with one AdamW per optimisation group.
 *
 * @example
 * ```ts ignore
 * const steps = new StepRunner(model, { weightDecay: 1e-5, clipNorm: 5 });
 * const losses = steps.step(x, label, rng, 1e-4);
 * ```
 */
export class StepRunner {
  readonly #model: MilModel;
  readonly #groups: { group: OptimisationGroup; optimizer: AdamW }[];
  readonly #clipNorm: number | null;

  /** Creates one optimiser per group of `model`. */
  constructor(model: MilModel, options: StepOptions) {
    this.#model = model;
    this.#clipNorm = options.clipNorm;
    const groups = model.optimisationGroups?.() ??
      [{ name: "all", variables: model.trainableVariables() }];
    this.#groups = groups.map((group) => ({
      group,
      optimizer: new AdamW(group.variables, {
        weightDecay: options.weightDecay,
        decayWithoutGradient: options.decayWithoutGradient ?? false,
      }),
    }));
  }

  /**
   * One step on bag `x` with class `label` at learning rate `lr`. Every
   * group's forward pass starts from the same random state, so they see the
   * same sampling (dropout, pseudo-bags, token dropping).
   */
  step(x: tf.Tensor2D, label: number, rng: Rng, lr: number): StepLosses {
    const start = rng.state;
    let end = start;
    let losses: StepLosses | undefined;
    const updates: { optimizer: AdamW; grads: tf.NamedTensorMap }[] = [];
    try {
      for (const { group, optimizer } of this.#groups) {
        rng.state = start;
        const parts: Record<string, tf.Scalar> = {};
        let total: tf.Scalar | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = this.#model.loss(x, label, { training: true, rng });
          if (!losses) {
            for (const [name, part] of Object.entries(out.parts)) {
              parts[name] = tf.keep(part.clone());
            }
            total = tf.keep(out.total.clone());
          }
          const names = group.loss === undefined
            ? ["total"]
            : [group.loss].flat();
          if (names.includes("total")) return out.total;
          const missing = names.filter((n) => !out.parts[n]);
          if (missing.length > 0) {
            throw new Error(
              `Optimisation group "${group.name}" trains on loss part ${
                missing.map((n) => `"${n}"`).join(", ")
              }, which the model does not return (it has ${
                Object.keys(out.parts).join(", ")
              })`,
            );
          }
          return tf.addN(
            names.map((n) => out.parts[n] as tf.Scalar),
          ) as tf.Scalar;
        }, group.variables);
        end = rng.state;
        if (!losses) {
          // The first group's pass also reports the loss (total and parts).
          const values = Object.fromEntries(
            Object.entries(parts).map((
              [k, t],
            ) => [k, t.dataSync()[0] as number]),
          );
          losses = { total: total!.dataSync()[0] as number, parts: values };
          tf.dispose([...Object.values(parts), total!]);
        }
        value.dispose();
        updates.push({ optimizer, grads });
      }
      if (!Number.isFinite(losses!.total)) return losses!;
      for (const { optimizer, grads } of updates) {
        if (this.#clipNorm !== null) clipByGlobalNorm(grads, this.#clipNorm);
        optimizer.update(grads, lr);
      }
      this.#model.afterStep?.();
      rng.state = end;
      return losses!;
    } finally {
      for (const u of updates) tf.dispose(Object.values(u.grads));
    }
  }

  /** Optimiser states, one per group. */
  getState(): AdamWState[] {
    return this.#groups.map((g) => g.optimizer.getState());
  }

  /** Restores states saved by {@link getState}. */
  setState(states: AdamWState[]): void {
    if (states.length !== this.#groups.length) {
      throw new Error(
        `Checkpoint holds ${states.length} optimiser states, the model has ${this.#groups.length} optimisation groups`,
      );
    }
    states.forEach((s, i) => this.#groups[i]!.optimizer.setState(s));
  }

  /** Frees the optimisers' tensors. */
  dispose(): void {
    for (const g of this.#groups) g.optimizer.dispose();
  }
}
