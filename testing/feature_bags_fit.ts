/**
 * A minimal training loop over feature bags for tests and quick
 * experiments (the real trainer lives in stages/train/): Adam, one bag per
 * step, shuffled each epoch from a seed, `model.startEpoch()` before each
 * epoch, `model.afterStep()` after each step,
 * then validation AUC. Binary labels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { binaryAuc } from "../stages/evaluate/metrics.ts";
import type { MilModel } from "../models/mil_model.ts";
import { Rng } from "../core/random.ts";
import type { Bag, Split } from "../core/types.ts";
import { featureBags } from "../data/feature_bags.ts";

/**
 * The easy problem model tests learn: 40 bags of 20–60 instances, D = 32,
 * 30% witnesses shifted by 5 in positive bags; 24 train and 16 validation
 * bags (no test split), so a validation AUC has 64 pairs.
 *
 * @example
 * ```ts
 * import { easyFeatureBags } from "./feature_bags_fit.ts";
 * const bags = easyFeatureBags(1);
 * if (bags.filter((b) => b.split === "val").length !== 16) throw new Error();
 * ```
 */
export function easyFeatureBags(seed = 11): Bag[] {
  return featureBags({
    count: 40,
    dim: 32,
    shift: 5,
    witnessFraction: 0.3,
    splits: { train: 0.6, val: 0.4, test: 0 },
    seed,
  });
}

/** How {@link fitOnBags} trains. */
export interface FitOptions {
  /** Passes over the training bags. */
  epochs: number;
  /** Adam learning rate; default 1e-3. */
  learningRate?: number;
  /** Seed of the bag order and of the model's training randomness; default 0. */
  seed?: number;
  /** Split scored after training; default `"val"`. */
  evaluate?: Split;
}

/** What {@link fitOnBags} measured. */
export interface FitResult {
  /** ROC AUC of P(class 1) on the evaluated split. */
  auc: number;
  /** Mean training loss of each epoch. */
  epochLosses: number[];
}

/**
 * Trains `model` on the `"train"` bags and scores the evaluated split.
 *
 * @example
 * ```ts
 * import "../models/abmil.ts";
 * import { createModel } from "../models/registry.ts";
 * import { easyFeatureBags, fitOnBags } from "./feature_bags_fit.ts";
 * const model = createModel("abmil", { inputDim: 32, numClasses: 2, innerDim: 16 });
 * const { auc } = fitOnBags(model, easyFeatureBags(), { epochs: 1 });
 * if (!(auc >= 0 && auc <= 1)) throw new Error("an AUC");
 * model.dispose();
 * ```
 */
export function fitOnBags(
  model: MilModel,
  bags: Bag[],
  options: FitOptions,
): FitResult {
  const rng = new Rng(options.seed ?? 0);
  const train = bags.filter((b) => b.split === "train");
  const scored = bags.filter((b) => b.split === (options.evaluate ?? "val"));
  if (train.length === 0 || scored.length === 0) {
    throw new RangeError(
      `fitOnBags() needs training and evaluation bags: got ${train.length} and ${scored.length}`,
    );
  }
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const variables = model.trainableVariables();
  const epochLosses: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    model.startEpoch?.(epoch, options.epochs); // e.g. the anchor's warm-up
    let sum = 0;
    for (const bag of rng.shuffle([...train])) {
      const x = tf.tensor2d(bag.features, [bag.n, bag.dim]);
      const loss = optimizer.minimize(
        () => model.loss(x, bag.label, { training: true, rng }).total,
        true,
        variables,
      );
      sum += loss?.dataSync()[0] ?? NaN;
      loss?.dispose();
      x.dispose();
      model.afterStep?.(); // e.g. the anchor's EMA update
    }
    epochLosses.push(sum / train.length);
  }
  optimizer.dispose();
  const scores = scored.map((bag) =>
    tf.tidy(() => {
      const x = tf.tensor2d(bag.features, [bag.n, bag.dim]);
      const { logits } = model.forward(x, { training: false });
      return tf.softmax(logits).dataSync()[1] ?? NaN;
    })
  );
  const auc = binaryAuc(scores, scored.map((b) => b.label));
  if (Number.isNaN(auc)) {
    throw new RangeError(
      "fitOnBags() needs at least one positive and one negative bag to score: got one class only",
    );
  }
  return { auc, epochLosses };
}
