/**
 * The trainer: the reference protocol (AdamW lr 1e-4, wd 1e-5, half-cycle
 * cosine per iteration, grad-norm clip 5, one bag per step, shuffled per
 * epoch with the seed), evaluation of validation and test after every epoch,
 * best epoch by validation macro-F1 + AUC (strictly greater), best and last
 * weights saved, attention and predictions written to the store every epoch,
 * and a checkpoint per epoch so a killed run resumes where it stopped.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AttentionRecord, PredictionRecord } from "../../data/records.ts";
import type { MilModel } from "../../models/mil_model.ts";
import { saveWeights } from "../../models/weights.ts";
import { Rng } from "../../pipeline/random.ts";
import type { Bag, Split } from "../../pipeline/types.ts";
import { formatDuration, Progress } from "../../pipeline/progress.ts";
import { classificationMetrics } from "../evaluate/metrics.ts";
import { cosineLr } from "./adamw.ts";
import { StepRunner } from "./train_step.ts";
import { attentionSnapshot } from "./attention_snapshot.ts";
import { explainOutOfMemory } from "./out_of_memory.ts";
import { jsDivergence } from "../evaluate/attention_measures.ts";
import {
  captureCheckpoint,
  readCheckpoint,
  restoreVariables,
  writeCheckpoint,
} from "./checkpoint.ts";
import type {
  EpochEvent,
  SplitMetrics,
  TrainOptions,
} from "./train_options.ts";

export type {
  EpochEvent,
  SplitMetrics,
  TrainOptions,
} from "./train_options.ts";

/** Mean of `values` (NaN for none). */
function mean(values: readonly number[]): number {
  return values.length
    ? values.reduce((s, x) => s + x, 0) / values.length
    : NaN;
}

function bagTensor(bag: Bag): tf.Tensor2D {
  return tf.tensor2d(bag.features, [bag.n, bag.dim], "float32");
}

interface Evaluated {
  metrics: SplitMetrics;
  attention: Map<string, { mean: Float32Array; heads?: Float32Array[] }>;
  probabilities: Map<string, Float32Array>;
}

function evaluate(
  model: MilModel,
  bags: readonly Bag[],
  run: string,
): Evaluated {
  const attention: Evaluated["attention"] = new Map();
  const probabilities = new Map<string, Float32Array>();
  const losses: number[] = [];
  for (const bag of bags) {
    const x = bagTensor(bag);
    let out;
    try {
      out = model.forward(x, { training: false });
    } catch (error) {
      x.dispose();
      throw explainOutOfMemory(
        error,
        { run, model: model.name, phase: "evaluation" },
        bag,
      );
    }
    const probs = tf.tidy(() => tf.softmax(out.logits));
    const p = probs.dataSync() as Float32Array;
    losses.push(-Math.log(Math.max(p[bag.label] as number, 1e-12)));
    probabilities.set(bag.slideId, p);
    attention.set(
      bag.slideId,
      attentionSnapshot(out.attention, model.attentionNormalisation),
    );
    tf.dispose([x, out.logits, out.attention, probs]);
  }
  const m = bags.length > 0
    ? classificationMetrics({
      probabilities: bags.map((b) => probabilities.get(b.slideId)!),
      labels: bags.map((b) => b.label),
    }, model.options.numClasses)
    : undefined;
  return {
    metrics: {
      n: bags.length,
      loss: mean(losses),
      accuracy: m?.accuracy ?? NaN,
      auc: m?.auc ?? NaN,
      macroF1: m?.macroF1 ?? NaN,
    },
    attention,
    probabilities,
  };
}

/** Validation score that picks the best epoch (NaN counts as 0). */
function selectionScore(m: SplitMetrics): number {
  return (Number.isNaN(m.macroF1) ? 0 : m.macroF1) +
    (Number.isNaN(m.auc) ? 0 : m.auc);
}

/**
 * Trains `model` on the bags' train split, yielding one {@link EpochEvent}
 * per epoch. With a store, the run, every epoch's metrics, attention and
 * predictions are recorded; with `outDir`, weights and checkpoints are
 * written under `outDir/<run>/` and a run with an existing checkpoint
 * continues after its last completed epoch.
 *
 * @example
 * ```ts ignore
 * for await (const e of trainModel(model, bags, { epochs: 20, seed: 1, store })) {
 *   console.log(e.epoch, e.val?.auc);
 * }
 * ```
 */
export async function* trainModel(
  model: MilModel,
  bags: readonly Bag[],
  options: TrainOptions,
): AsyncGenerator<EpochEvent, void> {
  const epochs = options.epochs ?? 50;
  const baseLr = options.lr ?? 1e-4;
  const clipNorm = options.clipNorm === undefined ? 5 : options.clipNorm;
  const seed = options.seed ?? 0;
  const run = options.runId;
  const store = options.store;
  const bySplit = (s: Split) => bags.filter((b) => b.split === s);
  const train = bySplit("train"), val = bySplit("val");
  if (train.length === 0) {
    throw new Error(
      `Run "${run}" has no training bags: every bag is in val or test`,
    );
  }
  for (const b of bags) {
    if (b.dim !== model.options.inputDim) {
      throw new Error(
        `Slide "${b.slideId}" has ${b.dim}-dimensional features, the model expects ${model.options.inputDim}`,
      );
    }
  }
  const runDir = options.outDir ? `${options.outDir}/${run}` : undefined;
  if (runDir) await Deno.mkdir(runDir, { recursive: true });
  const checkpointPath = runDir ? `${runDir}/checkpoint.bin` : undefined;

  const steps = new StepRunner(model, {
    weightDecay: options.weightDecay ?? 1e-5,
    clipNorm,
  });
  const stateVariables = model.stateVariables?.() ?? model.trainableVariables();
  const rng = new Rng(seed);
  let best = { epoch: -1, score: -Infinity };
  let start = 0;
  let previous = new Map<string, Float32Array>();

  const checkpoint = checkpointPath
    ? await readCheckpoint(checkpointPath)
    : undefined;
  if (checkpoint) {
    restoreVariables(checkpoint, stateVariables);
    steps.setState(checkpoint.optimizers);
    rng.state = checkpoint.rngState;
    best = checkpoint.best;
    start = checkpoint.epoch + 1;
    if (store) {
      // Rows of epochs after the checkpoint (a crash between the store
      // commit and the checkpoint) are redone.
      await store.transaction(async (tx) => {
        for (const t of ["epochs", "attention", "predictions"]) {
          await tx.exec(`DELETE FROM ${t} WHERE run = ? AND epoch > ?`, [
            run,
            checkpoint.epoch,
          ]);
        }
        await tx.setRunStatus(run, "running");
      });
      const rows = await store.query(
        "SELECT slide, scores FROM attention WHERE run = ? AND epoch = ? AND split = 'val'",
        [run, checkpoint.epoch],
      );
      previous = new Map(
        rows.map((
          r,
        ) => [String(r.slide), Float32Array.from(r.scores as number[])]),
      );
    }
    options.onLog?.(
      `resuming run ${run} after epoch ${checkpoint.epoch + 1}/${epochs}`,
    );
  } else if (store) {
    await store.transaction((tx) =>
      tx.upsertRun({
        id: run,
        model: model.name,
        config: options.config ??
          {
            model: model.name,
            options: model.options,
            epochs,
            lr: baseLr,
            seed,
          },
        seed,
        fold: options.fold ?? null,
      })
    );
  }

  const progress = new Progress(`train ${run}`, {
    total: (epochs - start) * train.length,
    unit: "bags",
    quiet: options.quiet ?? false,
  });
  const stepFailure = { run, model: model.name, phase: "training step" };
  const recordSplits = new Set<Split>(["val", "test"]);
  if (options.recordTrainAttention) recordSplits.add("train");

  try {
    for (let epoch = start; epoch < epochs; epoch++) {
      const t0 = performance.now();
      const order = rng.shuffle(train.map((_, i) => i));
      const partSums = new Map<string, number>();
      let lr = baseLr;
      for (let it = 0; it < order.length; it++) {
        const bag = train[order[it] as number] as Bag;
        lr = cosineLr(baseLr, epoch + it / order.length, epochs);
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
        progress.tick(1, `epoch ${epoch + 1}/${epochs}`);
      }
      const losses = Object.fromEntries(
        [...partSums].map(([k, v]) => [k, v / order.length]),
      );

      const evaluated = new Map<Split, Evaluated>();
      for (const split of ["val", "test", "train"] as const) {
        if (split === "train" && !recordSplits.has("train")) continue;
        evaluated.set(split, evaluate(model, bySplit(split), run));
      }
      const valEval = evaluated.get("val");
      const js = valEval
        ? mean([...valEval.attention].flatMap(([slide, a]) => {
          const prev = previous.get(slide);
          const p = prev ??
            new Float32Array(a.mean.length).fill(1 / a.mean.length);
          return [jsDivergence(p, a.mean)];
        }))
        : NaN;
      if (valEval) {
        previous = new Map([...valEval.attention].map(([s, a]) => [s, a.mean]));
      }

      let isBest = false;
      const score = valEval && val.length > 0
        ? selectionScore(valEval.metrics)
        : epoch;
      if (score > best.score) {
        best = { epoch, score };
        isBest = true;
        if (runDir) await saveWeights(`${runDir}/best.weights`, model);
      }
      const seconds = (performance.now() - t0) / 1000;

      let attentionSeconds = 0;
      if (store) {
        const w0 = performance.now();
        const attentionRows: AttentionRecord[] = [];
        const predictionRows: PredictionRecord[] = [];
        for (const [split, e] of evaluated) {
          for (const bag of bySplit(split)) {
            const a = e.attention.get(bag.slideId)!;
            const row: AttentionRecord = {
              run,
              epoch,
              slide: bag.slideId,
              split,
              scores: a.mean,
            };
            if (a.heads) row.heads = a.heads;
            attentionRows.push(row);
            predictionRows.push({
              run,
              epoch,
              slide: bag.slideId,
              split,
              probabilities: e.probabilities.get(bag.slideId)!,
              label: bag.label,
            });
          }
        }
        const metrics: Record<string, unknown> = { jsDivergence: js };
        for (const [split, e] of evaluated) metrics[split] = e.metrics;
        await store.transaction(async (tx) => {
          await tx.upsertEpoch({ run, epoch, losses, lr, seconds, metrics });
          await tx.appendAttention(attentionRows);
          await tx.appendPredictions(predictionRows);
        });
        attentionSeconds = (performance.now() - w0) / 1000;
      }
      if (checkpointPath) {
        await writeCheckpoint(
          checkpointPath,
          captureCheckpoint(
            { run, epoch, rngState: rng.state, best },
            stateVariables,
            steps.getState(),
          ),
        );
      }
      if (runDir) await saveWeights(`${runDir}/last.weights`, model);

      const event: EpochEvent = {
        run,
        epoch,
        epochs,
        lr,
        seconds,
        attentionSeconds,
        losses,
        jsDivergence: js,
        best: isBest,
        bestEpoch: best.epoch,
      };
      if (valEval) event.val = valEval.metrics;
      const testEval = evaluated.get("test");
      if (testEval) event.test = testEval.metrics;
      const left = (epochs - epoch - 1) * seconds;
      progress.log(
        `epoch ${epoch + 1}/${epochs}  loss ${
          losses.total?.toFixed(4)
        }  val AUC ${fmt(event.val?.auc)}  val macro-F1 ${
          fmt(event.val?.macroF1)
        }  JS ${Number.isNaN(js) ? "–" : js.toExponential(2)}  ${
          seconds.toFixed(1)
        }s  ETA ${formatDuration(left)}${isBest ? "  *best" : ""}`,
      );
      yield event;
      if (
        options.stopAfterEpoch !== undefined && epoch >= options.stopAfterEpoch
      ) {
        progress.done("stopped early");
        return;
      }
    }
    progress.done();
    if (store) {
      await store.transaction((tx) => tx.setRunStatus(run, "finished"));
    }
  } catch (error) {
    progress.done("failed");
    if (store) {
      await store.transaction((tx) =>
        tx.setRunStatus(
          run,
          "failed",
          error instanceof Error ? error.message : String(error),
        )
      );
    }
    throw error;
  } finally {
    steps.dispose();
  }
}

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? "–" : x.toFixed(3);
}
