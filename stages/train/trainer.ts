/**
 * The trainer: the reference protocol (AdamW lr 1e-4, wd 1e-5, half-cycle
 * cosine per iteration, grad-norm clip 5 for the models whose released
 * script clips, one bag per step, shuffled per epoch with the seed),
 * evaluation of validation and test after every epoch, best epoch by
 * validation F1 + AUC (strictly greater; macro-F1 unless `selection` says
 * otherwise), best and last
 * weights saved, attention and predictions written to the store every epoch,
 * and a checkpoint per epoch so a killed run resumes where it stopped.
 *
 * Bags come from a {@link BagSource}, one at a time with a small prefetch,
 * so memory is bounded by a few bags whatever the cohort's size; an array
 * of bags is wrapped as a source. Checkpoint and weight files of an epoch
 * are written while the next one trains.
 *
 * @module
 */
import type { MilModel } from "../../models/mil_model.ts";
import { Rng } from "../../core/random.ts";
import type { Bag, Split } from "../../core/types.ts";
import { formatDuration, Progress } from "../../core/progress.ts";
import {
  type BagInfo,
  type BagSource,
  cachedBagSource,
  memoryBagSource,
} from "../bag/bag_source.ts";
import { clipNormFor } from "./reference_clip.ts";
import {
  bestEpochAfter,
  NO_BEST_EPOCH,
  resolveSelection,
  selectionScore,
} from "../evaluate/model_selection.ts";
import { StepRunner } from "./train_step.ts";
import { restoreVariables } from "./checkpoint.ts";
import { trainEpoch } from "./train_epoch.ts";
import { evaluateEpoch } from "./epoch_evaluation.ts";
import { RunRecorder } from "./run_recorder.ts";
import {
  type EpochEvent,
  TRAIN_DEFAULTS,
  type TrainOptions,
} from "./train_options.ts";

export type {
  EpochEvent,
  SplitMetrics,
  TrainOptions,
} from "./train_options.ts";

function isSource(bags: readonly Bag[] | BagSource): bags is BagSource {
  return !Array.isArray(bags);
}

/**
 * Trains `model` on the train split of `bags`, yielding one
 * {@link EpochEvent} per epoch. With a store, the run, every epoch's
 * metrics, attention and predictions are recorded; with `outDir`, weights
 * and checkpoints are written under `outDir/<run>/` and a run with an
 * existing checkpoint continues after its last completed epoch.
 *
 * @example
 * ```ts ignore
 * const source = await StoreBagSource.open(store);
 * for await (const e of trainModel(model, source, { runId: "r1", epochs: 20, seed: 1, store })) {
 *   console.log(e.epoch, e.val?.auc);
 * }
 * ```
 */
export async function* trainModel(
  model: MilModel,
  bags: readonly Bag[] | BagSource,
  options: TrainOptions,
): AsyncGenerator<EpochEvent, void> {
  const o = { ...TRAIN_DEFAULTS, ...withoutUndefined(options) };
  const { epochs, store } = o;
  const run = options.runId;
  const source = isSource(bags)
    ? cachedBagSource(bags, o.cacheBytes)
    : memoryBagSource(bags);
  // Grouped once: the evaluation and the record of every epoch ask again.
  const splitInfos = Map.groupBy(source.infos, (b) => b.split);
  const bySplit = (s: Split): readonly BagInfo[] => splitInfos.get(s) ?? [];
  const train = bySplit("train"), val = bySplit("val");
  checkBags(run, model, source.infos, train);

  const clipNorm = clipNormFor(model.name, o.clipNorm, o.clipScope);
  const selection = resolveSelection(o.selection, model.name);
  const steps = new StepRunner(model, {
    weightDecay: o.weightDecay,
    clipNorm,
    decayWithoutGradient: o.decayWithoutGradient,
  });
  const stateVariables = model.stateVariables?.() ?? model.trainableVariables();
  const rng = new Rng(o.seed);
  const recorder = await RunRecorder.open(run, store, o.outDir);
  let best = NO_BEST_EPOCH;
  let start = 0;
  let previous = new Map<string, Float32Array>();

  const checkpoint = await recorder.checkpoint();
  if (checkpoint) {
    restoreVariables(checkpoint, stateVariables);
    steps.setState(checkpoint.optimizers);
    rng.state = checkpoint.rngState;
    best = checkpoint.best;
    start = checkpoint.epoch + 1;
    previous = await recorder.resume(checkpoint.epoch);
    options.onLog?.(
      `resuming run ${run} after epoch ${checkpoint.epoch + 1}/${epochs}`,
    );
  } else {
    const config = o.config ??
      {
        model: model.name,
        options: model.options,
        epochs,
        lr: o.lr,
        seed: o.seed,
        clipNorm,
      };
    await recorder.start({
      model: model.name,
      // The evaluator reads the rule back to choose the same best epoch.
      config: selection === "macro-f1" || !isPlainObject(config)
        ? config
        : { ...config, selection },
      seed: o.seed,
      fold: o.fold,
    });
  }

  const evaluatedSplits: Split[] = o.recordTrainAttention
    ? ["val", "test", "train"]
    : ["val", "test"];
  const evaluatedBags = evaluatedSplits
    .reduce((n, s) => n + bySplit(s).length, 0);
  const progress = new Progress(`train ${run}`, {
    total: (epochs - start) * (train.length + evaluatedBags),
    unit: "bags",
    quiet: o.quiet,
  });
  try {
    for (let epoch = start; epoch < epochs; epoch++) {
      const t0 = performance.now();
      // The count and ETA cover the whole run (steps and evaluation); the
      // note says where this epoch is.
      const perEpoch = train.length + evaluatedBags;
      let inEpoch = 0;
      const onBag = () =>
        progress.tick(
          1,
          `epoch ${epoch + 1}/${epochs} ${++inEpoch}/${perEpoch} bags`,
        );
      model.startEpoch?.(epoch, epochs);
      const { losses, lr } = await trainEpoch(steps, source, train, {
        run,
        model: model.name,
        epoch,
        epochs,
        lr: o.lr,
        rng,
        prefetch: o.prefetch,
        onBag,
      });
      const t1 = performance.now();

      const evaluation = await evaluateEpoch(model, source, bySplit, previous, {
        run,
        splits: evaluatedSplits,
        heads: o.recordHeads,
        prefetch: o.prefetch,
        onBag,
      });
      const { evaluated, jsDivergence: js } = evaluation;
      previous = evaluation.attention;
      const valEval = evaluated.get("val");
      // Without validation bags every epoch is best: the last one is kept.
      const score = valEval && val.length > 0
        ? selectionScore(valEval.metrics, selection)
        : epoch;
      const before = best;
      best = bestEpochAfter(best, epoch, score);
      const isBest = best !== before;
      const t2 = performance.now();

      const timing: Record<string, number> = {
        train: (t1 - t0) / 1000,
        evaluate: (t2 - t1) / 1000,
      };
      await recorder.epoch(
        {
          epoch,
          losses,
          lr,
          seconds: (t2 - t0) / 1000,
          timing,
          jsDivergence: js,
          evaluated,
          infos: bySplit,
        },
        {
          rngState: rng.state,
          best,
          variables: stateVariables,
          optimizers: steps.getState(),
          isBest,
        },
        model,
      );
      const stop = o.stopAfterEpoch !== undefined && epoch >= o.stopAfterEpoch;
      if (stop) timing.checkpoint! += await recorder.settle();
      const seconds = (performance.now() - t0) / 1000;
      await recorder.epochTiming(epoch, seconds, timing);

      const event: EpochEvent = {
        run,
        epoch,
        epochs,
        lr,
        seconds,
        attentionSeconds: timing.record!,
        timing,
        losses,
        jsDivergence: js,
        best: isBest,
        bestEpoch: best.epoch,
      };
      if (valEval) event.val = valEval.metrics;
      const testEval = evaluated.get("test");
      if (testEval) event.test = testEval.metrics;
      progress.log(epochLine(event, epochs));
      yield event;
      if (stop) {
        progress.done("stopped early");
        return;
      }
    }
    await recorder.finish();
    progress.done();
  } catch (error) {
    progress.done("failed");
    await recorder.fail(error);
    throw error;
  } finally {
    steps.dispose();
  }
}

function checkBags(
  run: string,
  model: MilModel,
  infos: readonly BagInfo[],
  train: readonly BagInfo[],
): void {
  if (train.length === 0) {
    throw new Error(
      `Run "${run}" has no training bags: every bag is in val or test`,
    );
  }
  for (const b of infos) {
    if (b.dim !== model.options.inputDim) {
      throw new Error(
        `Slide "${b.slideId}" has ${b.dim}-dimensional features, the model expects ${model.options.inputDim}`,
      );
    }
  }
}

function epochLine(e: EpochEvent, epochs: number): string {
  const js = Number.isNaN(e.jsDivergence)
    ? "–"
    : e.jsDivergence.toExponential(2);
  const left = (epochs - e.epoch - 1) * e.seconds;
  return `epoch ${e.epoch + 1}/${epochs}  loss ${
    e.losses.total?.toFixed(4)
  }  val AUC ${fmt(e.val?.auc)}  val macro-F1 ${
    fmt(e.val?.macroF1)
  }  JS ${js}  ${e.seconds.toFixed(1)}s  ETA ${formatDuration(left)}${
    e.best ? "  *best" : ""
  }`;
}

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? "–" : x.toFixed(3);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
