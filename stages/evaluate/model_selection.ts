/**
 * Model selection: the score that picks a run's best epoch on the
 * validation split, F1 + AUC (strictly greater wins, a NaN part counts 0),
 * with F1 read as macro-F1 or as micro-F1.
 *
 * The released scripts differ here: the ASMIL, ACMIL and DTFD scripts use
 * torchmetrics' `F1Score(task="multiclass")`, whose default average is
 * micro, i.e. accuracy for single-label data; the shared engine of ABMIL,
 * CLAM, TransMIL and DSMIL asks for `average="macro"`. The paper's ASMIL
 * numbers are therefore selected by accuracy + AUC. This project's default
 * is macro-F1 for every model: one rule for all models, and one that does
 * not reward predicting the majority class on imbalanced cohorts.
 *
 * @module
 */

/** How the best epoch is chosen: F1 + AUC with macro-F1, micro-F1, or per model as the released scripts. */
export type SelectionRule = "macro-f1" | "micro-f1" | "reference";

/** The rules, for option parsing. */
export const SELECTION_RULES: readonly SelectionRule[] = [
  "macro-f1",
  "micro-f1",
  "reference",
];

/** The default rule. */
export const DEFAULT_SELECTION: SelectionRule = "macro-f1";

/** Models whose released script selects by micro-F1 (torchmetrics' multiclass default) + AUC. */
export const MICRO_F1_REFERENCE_MODELS: ReadonlySet<string> = new Set([
  "asmil",
  "acmil",
  "dtfd_afs",
  "dtfd_maxmins",
]);

/**
 * The F1 a rule uses for `model`: `"reference"` resolves to micro-F1 for
 * {@link MICRO_F1_REFERENCE_MODELS} and macro-F1 for the others.
 *
 * @example
 * ```ts
 * import { resolveSelection } from "./model_selection.ts";
 * if (resolveSelection("reference", "asmil") !== "micro-f1") throw new Error();
 * if (resolveSelection("reference", "abmil") !== "macro-f1") throw new Error();
 * ```
 */
export function resolveSelection(
  rule: SelectionRule,
  model: string,
): "macro-f1" | "micro-f1" {
  if (rule === "reference") {
    return MICRO_F1_REFERENCE_MODELS.has(model) ? "micro-f1" : "macro-f1";
  }
  if (rule !== "macro-f1" && rule !== "micro-f1") {
    throw new RangeError(
      `Selection rule must be one of ${
        SELECTION_RULES.map((r) => `"${r}"`).join(", ")
      }: current value is ${JSON.stringify(rule)}`,
    );
  }
  return rule;
}

/** The metrics a selection score reads (micro-F1 is accuracy for single-label data). */
export interface SelectionMetrics {
  auc: number;
  macroF1: number;
  accuracy: number;
}

/**
 * The selection score of one epoch's validation metrics: AUC + macro-F1
 * (default) or AUC + micro-F1 (= accuracy), a NaN part counting 0.
 *
 * @example
 * ```ts
 * import { selectionScore } from "./model_selection.ts";
 * const m = { auc: 0.9, macroF1: 0.6, accuracy: 0.8 };
 * if (Math.abs(selectionScore(m) - 1.5) > 1e-12) throw new Error("macro");
 * if (Math.abs(selectionScore(m, "micro-f1") - 1.7) > 1e-12) throw new Error("micro");
 * ```
 */
export function selectionScore(
  m: SelectionMetrics,
  rule: "macro-f1" | "micro-f1" = "macro-f1",
): number {
  const f1 = rule === "micro-f1" ? m.accuracy : m.macroF1;
  return (Number.isNaN(m.auc) ? 0 : m.auc) + (Number.isNaN(f1) ? 0 : f1);
}

/** The best epoch so far and its selection score. */
export interface BestEpoch {
  /** 0-based epoch, -1 before any. */
  epoch: number;
  score: number;
}

/** No epoch yet: any score beats it. */
export const NO_BEST_EPOCH: BestEpoch = { epoch: -1, score: -Infinity };

/**
 * The best epoch once `epoch` scored `score`: it replaces `best` only when
 * strictly greater, so among equal scores the earliest epoch stays best.
 * The trainer (which weights it keeps as best) and the evaluator (which
 * epoch it reports) both choose with this rule.
 *
 * @example
 * ```ts
 * import { bestEpochAfter, NO_BEST_EPOCH } from "./model_selection.ts";
 * const best = [1.2, 1.5, 1.5].reduce(
 *   (b, score, epoch) => bestEpochAfter(b, epoch, score),
 *   NO_BEST_EPOCH,
 * );
 * if (best.epoch !== 1) throw new Error("the earliest of equal scores wins");
 * ```
 */
export function bestEpochAfter(
  best: BestEpoch,
  epoch: number,
  score: number,
): BestEpoch {
  return score > best.score ? { epoch, score } : best;
}
