/**
 * The evaluation after every epoch: predictions and attention of the
 * validation and test bags (and the training bags on request), and the mean
 * JS divergence of the validation attention to the previous epoch's.
 *
 * @module
 */
import type { MilModel } from "../../models/mil_model.ts";
import type { Split } from "../../core/types.ts";
import type { BagInfo, BagSource } from "../bag/bag_source.ts";
import { jsDivergence } from "../evaluate/attention_measures.ts";
import { storedAttention } from "../../data/attention_quantise.ts";
import { evaluateBags, type SplitEvaluation } from "./evaluate_bags.ts";

/** Options of {@link evaluateEpoch}. */
export interface EpochEvaluationOptions {
  run: string;
  /** Splits evaluated, in order. */
  splits: readonly Split[];
  /** Also keep per-head attention. */
  heads: boolean;
  /** Bags read ahead of the one being evaluated. */
  prefetch: number;
  /** Called after each bag. */
  onBag?: () => void;
}

/** One epoch's evaluation. */
export interface EpochEvaluation {
  evaluated: Map<Split, SplitEvaluation>;
  /** Mean JS divergence of validation attention to `previous` (NaN without validation bags). */
  jsDivergence: number;
  /**
   * The validation attention as stored (16-bit), the next epoch's
   * `previous`: a resumed run compares the same values.
   */
  attention: Map<string, Float32Array>;
}

/**
 * Evaluates `model` on the bags of `options.splits` and compares the
 * validation attention with `previous` (uniform for slides it lacks).
 *
 * @example
 * ```ts ignore
 * const e = await evaluateEpoch(model, source, bySplit, previous, { run: "r1", splits: ["val", "test"], heads: false, prefetch: 2 });
 * ```
 */
export async function evaluateEpoch(
  model: MilModel,
  source: BagSource,
  bySplit: (split: Split) => readonly BagInfo[],
  previous: ReadonlyMap<string, Float32Array>,
  options: EpochEvaluationOptions,
): Promise<EpochEvaluation> {
  const evaluated = new Map<Split, SplitEvaluation>();
  for (const split of options.splits) {
    evaluated.set(
      split,
      await evaluateBags(model, source, bySplit(split), {
        run: options.run,
        heads: options.heads,
        prefetch: options.prefetch,
        ...(options.onBag ? { onBag: options.onBag } : {}),
      }),
    );
  }
  const val = evaluated.get("val");
  return {
    evaluated,
    jsDivergence: val ? meanJs(val, previous) : NaN,
    attention: val
      ? new Map(
        [...val.attention].map(([s, a]) => [s, storedAttention(a.mean)]),
      )
      : new Map(previous),
  };
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
