/**
 * The per-epoch evaluation: the model in evaluation mode over one split's
 * bags, read one at a time from the bag source; slide probabilities,
 * attention distributions and the split's metrics.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MilModel } from "../../models/mil_model.ts";
import type { Bag } from "../../core/types.ts";
import {
  type BagInfo,
  type BagSource,
  BagSourceStream,
} from "../bag/bag_source.ts";
import { classificationMetrics } from "../evaluate/metrics.ts";
import {
  type AttentionSnapshot,
  attentionSnapshot,
} from "./attention_snapshot.ts";
import { explainOutOfMemory } from "./out_of_memory.ts";
import type { SplitMetrics } from "./train_options.ts";

/** What one split's evaluation gives. */
export interface SplitEvaluation {
  metrics: SplitMetrics;
  /** Slide → attention (per-head distributions only when asked for). */
  attention: Map<string, AttentionSnapshot>;
  /** Slide → class probabilities. */
  probabilities: Map<string, Float32Array>;
}

/** Options of {@link evaluateBags}. */
export interface EvaluateBagsOptions {
  /** Run id, for error messages. */
  run: string;
  /** Keep per-head attention distributions. */
  heads?: boolean;
  /** Bags read ahead; default 2. */
  prefetch?: number;
  /** Called after each bag. */
  onBag?: () => void;
}

/** The bag as a `[n, dim]` tensor. */
export function bagTensor(bag: Bag): tf.Tensor2D {
  return tf.tensor2d(bag.features, [bag.n, bag.dim], "float32");
}

/**
 * Evaluates `model` on the bags of `infos` (read from `source` in that
 * order): per slide the softmax probabilities and the attention snapshot,
 * and the split's loss, accuracy, AUC and macro-F1.
 *
 * @example
 * ```ts ignore
 * const val = await evaluateBags(model, source, source.infos.filter((i) => i.split === "val"), { run });
 * ```
 */
export async function evaluateBags(
  model: MilModel,
  source: BagSource,
  infos: readonly BagInfo[],
  options: EvaluateBagsOptions,
): Promise<SplitEvaluation> {
  const attention = new Map<string, AttentionSnapshot>();
  const probabilities = new Map<string, Float32Array>();
  const losses: number[] = [];
  const stream = new BagSourceStream(
    source,
    infos.map((i) => i.slideId),
    options.prefetch === undefined ? {} : { prefetch: options.prefetch },
  );
  for await (const bag of stream) {
    const x = bagTensor(bag);
    let out;
    try {
      out = model.forward(x, { training: false });
    } catch (error) {
      x.dispose();
      throw explainOutOfMemory(
        error,
        { run: options.run, model: model.name, phase: "evaluation" },
        bag,
      );
    }
    const probs = tf.tidy(() => tf.softmax(out.logits));
    const p = probs.dataSync() as Float32Array;
    losses.push(-Math.log(Math.max(p[bag.label] as number, 1e-12)));
    probabilities.set(bag.slideId, p);
    const snapshot = attentionSnapshot(
      out.attention,
      model.attentionNormalisation,
    );
    if (!options.heads) delete snapshot.heads;
    attention.set(bag.slideId, snapshot);
    tf.dispose([x, out.logits, out.attention, probs]);
    options.onBag?.();
  }
  const m = infos.length > 0
    ? classificationMetrics({
      probabilities: infos.map((i) => probabilities.get(i.slideId)!),
      labels: infos.map((i) => i.label),
    }, model.options.numClasses)
    : undefined;
  return {
    metrics: {
      n: infos.length,
      loss: losses.length
        ? losses.reduce((s, x) => s + x, 0) / losses.length
        : NaN,
      accuracy: m?.accuracy ?? NaN,
      auc: m?.auc ?? NaN,
      macroF1: m?.macroF1 ?? NaN,
    },
    attention,
    probabilities,
  };
}
