/**
 * One epoch of training steps: the training bags in the epoch's seeded
 * order, read with a small prefetch, one AdamW step per bag at the
 * half-cycle cosine learning rate of that iteration.
 *
 * @module
 */
import type { Rng } from "../../core/random.ts";
import {
  type BagInfo,
  type BagSource,
  BagSourceStream,
} from "../bag/bag_source.ts";
import { cosineLr } from "./adamw.ts";
import { bagTensor } from "./evaluate_bags.ts";
import { explainOutOfMemory } from "./out_of_memory.ts";
import type { StepRunner } from "./train_step.ts";

/** Options of {@link trainEpoch}. */
export interface TrainEpochOptions {
  /** Run id, for error messages. */
  run: string;
  /** Model name, for error messages. */
  model: string;
  /** 0-based epoch and the run's epoch count (the cosine schedule's span). */
  epoch: number;
  epochs: number;
  /** Base learning rate. */
  lr: number;
  /** Shuffles the bags and samples training-mode randomness; advanced in place. */
  rng: Rng;
  /** Bags read ahead of the one being trained. */
  prefetch: number;
  /** Called after each step. */
  onBag?: () => void;
}

/** What one epoch of steps gave. */
export interface EpochSteps {
  /** Mean over the epoch's bags of the loss (`total`) and each named part. */
  losses: Record<string, number>;
  /** Learning rate of the epoch's last step. */
  lr: number;
}

/**
 * Runs one epoch of steps over `train` (read from `source`); a non-finite
 * loss is an error naming the slide and epoch.
 *
 * @example
 * ```ts ignore
 * const { losses } = await trainEpoch(steps, source, train, { run: "r1", model: "abmil", epoch: 0, epochs: 50, lr: 1e-4, rng, prefetch: 2 });
 * ```
 */
export async function trainEpoch(
  steps: StepRunner,
  source: BagSource,
  train: readonly BagInfo[],
  o: TrainEpochOptions,
): Promise<EpochSteps> {
  const order = o.rng.shuffle(train.map((_, i) => i));
  const partSums = new Map<string, number>();
  const failure = { run: o.run, model: o.model, phase: "training step" };
  let lr = o.lr, it = 0;
  const bags = new BagSourceStream(
    source,
    order.map((i) => train[i]!.slideId),
    { prefetch: o.prefetch },
  );
  for await (const bag of bags) {
    lr = cosineLr(o.lr, o.epoch + it / order.length, o.epochs);
    it++;
    const x = bagTensor(bag);
    let step;
    try {
      step = steps.step(x, bag.label, o.rng, lr);
    } catch (error) {
      throw explainOutOfMemory(error, failure, bag);
    } finally {
      x.dispose();
    }
    if (!Number.isFinite(step.total)) {
      throw new Error(
        `Run "${o.run}": the loss became ${step.total} at epoch ${
          o.epoch + 1
        } on slide "${bag.slideId}"`,
      );
    }
    partSums.set("total", (partSums.get("total") ?? 0) + step.total);
    for (const [name, value] of Object.entries(step.parts)) {
      partSums.set(name, (partSums.get(name) ?? 0) + value);
    }
    o.onBag?.();
  }
  const losses = Object.fromEntries(
    [...partSums].map(([k, v]) => [k, v / order.length]),
  );
  return { losses, lr };
}
