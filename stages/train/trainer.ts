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
import { encodeWeights } from "../../models/weights.ts";
import { Rng } from "../../core/random.ts";
import type { Bag, Split } from "../../core/types.ts";
import { formatDuration, Progress } from "../../core/progress.ts";
import {
  type BagInfo,
  type BagSource,
  BagSourceStream,
  cachedBagSource,
  memoryBagSource,
} from "../bag/bag_source.ts";
import { jsDivergence } from "../evaluate/attention_measures.ts";
import { storedAttention } from "../../data/attention_quantise.ts";
import { cosineLr } from "./adamw.ts";
import { clipNormFor } from "./reference_clip.ts";
import {
  bestEpochAfter,
  NO_BEST_EPOCH,
  resolveSelection,
  selectionScore,
} from "../evaluate/model_selection.ts";
import { StepRunner } from "./train_step.ts";
import { explainOutOfMemory } from "./out_of_memory.ts";
import {
  bagTensor,
  evaluateBags,
  type SplitEvaluation,
} from "./evaluate_bags.ts";
import {
  captureCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  restoreVariables,
} from "./checkpoint.ts";
import { checkCheckpointOwner, checkpointStore } from "./checkpoint_owner.ts";
import { BackgroundWrites } from "./background_writes.ts";
import {
  recordEpoch,
  recordResume,
  recordRunEnd,
  recordRunStart,
} from "./run_record.ts";
import {
  type EpochEvent,
  type SplitMetrics,
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
  const bySplit = (s: Split) => source.infos.filter((b) => b.split === s);
  const train = bySplit("train"), val = bySplit("val");
  checkBags(run, model, source.infos, train);
  const runDir = o.outDir ? `${o.outDir}/${run}` : undefined;
  if (runDir) await Deno.mkdir(runDir, { recursive: true });
  const checkpointPath = runDir ? `${runDir}/checkpoint.bin` : undefined;

  const clipNorm = clipNormFor(model.name, o.clipNorm, o.clipScope);
  const selection = resolveSelection(o.selection, model.name);
  const steps = new StepRunner(model, {
    weightDecay: o.weightDecay,
    clipNorm,
    decayWithoutGradient: o.decayWithoutGradient,
  });
  const stateVariables = model.stateVariables?.() ?? model.trainableVariables();
  const rng = new Rng(o.seed);
  const writes = new BackgroundWrites();
  let best = NO_BEST_EPOCH;
  let start = 0;
  let previous = new Map<string, Float32Array>();

  const checkpoint = checkpointPath
    ? await readCheckpoint(checkpointPath)
    : undefined;
  if (checkpoint && store && checkpointPath) {
    await checkCheckpointOwner(checkpoint, store, checkpointPath);
  }
  const owner = store && checkpointPath
    ? await checkpointStore(store)
    : undefined;
  if (checkpoint) {
    restoreVariables(checkpoint, stateVariables);
    steps.setState(checkpoint.optimizers);
    rng.state = checkpoint.rngState;
    best = checkpoint.best;
    start = checkpoint.epoch + 1;
    if (store) previous = await recordResume(store, run, checkpoint.epoch);
    options.onLog?.(
      `resuming run ${run} after epoch ${checkpoint.epoch + 1}/${epochs}`,
    );
  } else if (store) {
    const config = o.config ??
      {
        model: model.name,
        options: model.options,
        epochs,
        lr: o.lr,
        seed: o.seed,
        clipNorm,
      };
    await recordRunStart(store, {
      id: run,
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
  const stepFailure = { run, model: model.name, phase: "training step" };
  try {
    for (let epoch = start; epoch < epochs; epoch++) {
      const t0 = performance.now();
      // The count and ETA cover the whole run (steps and evaluation); the
      // note says where this epoch is.
      const perEpoch = train.length + evaluatedBags;
      let inEpoch = 0;
      const tick = () =>
        progress.tick(
          1,
          `epoch ${epoch + 1}/${epochs} ${++inEpoch}/${perEpoch} bags`,
        );
      model.startEpoch?.(epoch, epochs);
      const order = rng.shuffle(train.map((_, i) => i));
      const partSums = new Map<string, number>();
      let lr = o.lr, it = 0;
      const trainBags = new BagSourceStream(
        source,
        order.map((i) => train[i]!.slideId),
        { prefetch: o.prefetch },
      );
      for await (const bag of trainBags) {
        lr = cosineLr(o.lr, epoch + it / order.length, epochs);
        it++;
        const x = bagTensor(bag);
        let step;
        try {
          step = steps.step(x, bag.label, rng, lr);
        } catch (error) {
          throw explainOutOfMemory(error, stepFailure, bag);
        } finally {
          x.dispose();
        }
        if (!Number.isFinite(step.total)) {
          throw new Error(
            `Run "${run}": the loss became ${step.total} at epoch ${
              epoch + 1
            } on slide "${bag.slideId}"`,
          );
        }
        partSums.set("total", (partSums.get("total") ?? 0) + step.total);
        for (const [name, value] of Object.entries(step.parts)) {
          partSums.set(name, (partSums.get(name) ?? 0) + value);
        }
        tick();
      }
      const losses = Object.fromEntries(
        [...partSums].map(([k, v]) => [k, v / order.length]),
      );
      const t1 = performance.now();

      const evaluated = new Map<Split, SplitEvaluation>();
      for (const split of evaluatedSplits) {
        evaluated.set(
          split,
          await evaluateBags(model, source, bySplit(split), {
            run,
            heads: o.recordHeads,
            prefetch: o.prefetch,
            onBag: tick,
          }),
        );
      }
      const valEval = evaluated.get("val");
      const js = valEval ? meanJs(valEval, previous) : NaN;
      if (valEval) {
        // As stored (16-bit), so a resumed run compares the same values.
        previous = new Map(
          [...valEval.attention].map(([s, a]) => [s, storedAttention(a.mean)]),
        );
      }
      // Without validation bags every epoch is best: the last one is kept.
      const score = valEval && val.length > 0
        ? selectionScore(valEval.metrics, selection)
        : epoch;
      const before = best;
      best = bestEpochAfter(best, epoch, score);
      const isBest = best !== before;
      const t2 = performance.now();

      // The previous epoch's files must be on disk before this epoch's
      // record (resume reads the checkpoint, then trusts the store).
      await writes.settle();
      const captured = checkpointPath
        ? encodeCheckpoint(captureCheckpoint(
          {
            run,
            epoch,
            rngState: rng.state,
            best,
            ...(owner ? { store: owner } : {}),
          },
          stateVariables,
          steps.getState(),
        ))
        : undefined;
      const weights = runDir ? encodeWeights(model) : undefined;
      const t3 = performance.now();
      const timing = {
        train: (t1 - t0) / 1000,
        evaluate: (t2 - t1) / 1000,
        checkpoint: (t3 - t2) / 1000,
        record: 0,
      };
      if (store) {
        await recordEpoch(store, {
          run,
          epoch,
          losses,
          lr,
          seconds: (t3 - t0) / 1000,
          timing,
          jsDivergence: js,
          evaluated,
          infos: bySplit,
        });
      }
      const t4 = performance.now();
      timing.record = (t4 - t3) / 1000;
      // Files after the store commit: a checkpoint never runs ahead of it.
      if (runDir && weights && captured && checkpointPath) {
        if (isBest) writes.write(`${runDir}/best.weights`, weights);
        writes.write(`${runDir}/last.weights`, weights);
        writes.write(checkpointPath, captured);
      }
      if (o.stopAfterEpoch !== undefined && epoch >= o.stopAfterEpoch) {
        timing.checkpoint += await writes.settle();
      }
      const seconds = (performance.now() - t0) / 1000;
      if (store) {
        await store.setEpochTiming(run, epoch, seconds, timing);
      }

      const event: EpochEvent = {
        run,
        epoch,
        epochs,
        lr,
        seconds,
        attentionSeconds: timing.record,
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
      if (o.stopAfterEpoch !== undefined && epoch >= o.stopAfterEpoch) {
        progress.done("stopped early");
        return;
      }
    }
    await writes.settle();
    progress.done();
    if (store) await recordRunEnd(store, run);
  } catch (error) {
    progress.done("failed");
    await writes.settle().catch(() => {});
    if (store) await recordRunEnd(store, run, error);
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

/** Mean JS divergence of validation attention to the previous epoch's (uniform at first). */
function meanJs(
  valEval: SplitEvaluation,
  previous: ReadonlyMap<string, Float32Array>,
): number {
  const values = [...valEval.attention].map(([slide, a]) => {
    const p = previous.get(slide) ??
      new Float32Array(a.mean.length).fill(1 / a.mean.length);
    return jsDivergence(p, a.mean);
  });
  return values.length
    ? values.reduce((s, x) => s + x, 0) / values.length
    : NaN;
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
