/**
 * The train stage: bag sources in (one per cohort, from the bag stage),
 * one {@link EpochEvent} per epoch out, for every run it is given in turn.
 * The trainer pulls each epoch's bags from the source with a small
 * prefetch, so memory is bounded by a few bags whatever the cohort's size.
 *
 * @module
 */
import type { MilModel } from "../../models/mil_model.ts";
import type { BagInfo, BagSource } from "../bag/bag_source.ts";
import { type EpochEvent, trainModel, type TrainOptions } from "./trainer.ts";

/** A run ready to train: its model and the trainer's options. */
export interface TrainRun extends TrainOptions {
  /** The model to train; the stage disposes of it after training. */
  model: MilModel;
}

/**
 * Makes a run once the bags are known (their feature width, classes and
 * splits), for runs whose model, id or recorded settings depend on them.
 */
export type TrainRunFactory = (bags: BagSource) => TrainRun | Promise<TrainRun>;

/** A run given by its options and a model builder. */
export interface TrainStreamOptions extends TrainOptions {
  /** Builds the model from the bags' metadata (feature width `infos[0].dim`, labels). */
  model(infos: readonly BagInfo[]): MilModel;
}

/**
 * Trains every run on each bag source it receives, emitting the epochs'
 * events in order. A source without training bags, a model of the wrong
 * width or a failed run errors the stream.
 *
 * @example
 * ```ts ignore
 * const events = bagSources.pipeThrough(new TrainStream({
 *   runId: "r1",
 *   store,
 *   model: (infos) => buildModel("abmil", { inputDim: infos[0]!.dim, numClasses: 2 }),
 * }));
 * for await (const e of events) console.log(e.epoch, e.val?.auc);
 * ```
 */
export class TrainStream extends TransformStream<BagSource, EpochEvent> {
  /** Creates the stage for one run or several (trained one after the other). */
  constructor(
    runs:
      | TrainStreamOptions
      | TrainRunFactory
      | readonly (TrainStreamOptions | TrainRunFactory)[],
  ) {
    const factories = (Array.isArray(runs) ? runs : [runs]).map(asFactory);
    if (factories.length === 0) {
      throw new RangeError(
        "Cannot construct TrainStream as it needs at least one run: current value is []",
      );
    }
    super({
      async transform(source, controller) {
        for (const factory of factories) {
          const { model, ...options } = await factory(source);
          try {
            for await (const event of trainModel(model, source, options)) {
              controller.enqueue(event);
            }
          } finally {
            model.dispose();
          }
        }
      },
    });
  }
}

/**
 * The number of classes of a cohort's bags: one more than the largest
 * label, at least 2.
 *
 * @example
 * ```ts
 * import { classCount } from "./train_stream.ts";
 * if (classCount([{ label: 0 }, { label: 2 }]) !== 3) throw new Error();
 * ```
 */
export function classCount(infos: readonly Pick<BagInfo, "label">[]): number {
  return Math.max(2, ...infos.map((b) => b.label + 1));
}

function asFactory(
  run: TrainStreamOptions | TrainRunFactory,
): TrainRunFactory {
  if (typeof run === "function") return run;
  const { model, ...options } = run;
  return (bags) => ({ ...options, model: model.call(run, bags.infos) });
}
