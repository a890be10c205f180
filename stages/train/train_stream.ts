/**
 * The train stage as a stream: a barrier that collects every bag, then
 * trains and emits one {@link EpochEvent} per epoch.
 *
 * @module
 */
import type { MilModel } from "../../models/mil_model.ts";
import type { Bag } from "../../core/types.ts";
import { type EpochEvent, trainModel, type TrainOptions } from "./trainer.ts";

/** Options of {@link TrainStream}. */
export interface TrainStreamOptions extends TrainOptions {
  /** Builds the model once the bags (and so D and C) are known. */
  model: (bags: readonly Bag[]) => MilModel;
}

/**
 * Collects bags, then trains.
 *
 * @example
 * ```ts ignore
 * const events = bags.pipeThrough(new TrainStream({ runId: "r1", model: (b) => createModel("asmil", { inputDim: b[0]!.dim, numClasses: 2 }) }));
 * for await (const e of events) console.log(e.epoch, e.val?.auc);
 * ```
 */
export class TrainStream extends TransformStream<Bag, EpochEvent> {
  /** Creates the stage. */
  constructor(options: TrainStreamOptions) {
    const bags: Bag[] = [];
    const ids = new Set<string>();
    super({
      transform(bag) {
        if (ids.has(bag.slideId)) {
          throw new Error(`Slide "${bag.slideId}" reached the trainer twice`);
        }
        ids.add(bag.slideId);
        bags.push(bag);
      },
      async flush(controller) {
        if (bags.length === 0) {
          throw new Error("The train stage received no bags");
        }
        const model = options.model(bags);
        try {
          for await (const event of trainModel(model, bags, options)) {
            controller.enqueue(event);
          }
        } finally {
          model.dispose();
        }
      },
    });
  }
}
