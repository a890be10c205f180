/**
 * The report's tables as plain cells, so HTML and Markdown show the same
 * figures: metrics with intervals per split, stability per split, and a
 * comparison of runs.
 *
 * @module
 */

import { fewSlidesNote, num, shownEpoch, small, withCiOf } from "./_format.ts";
import type { RunEvaluation } from "./evaluate_run.ts";

/** A table: header cells and rows of cells. */
export interface Table {
  head: string[];
  rows: string[][];
  /** Lines shown under the table (e.g. what a mark in a cell means). */
  notes?: string[];
}

function notesOf(note: string | undefined): { notes?: string[] } {
  return note === undefined ? {} : { notes: [note] };
}

const SPLIT_ORDER = ["test", "val", "train"];
function splitRank(split: string): number {
  const i = SPLIT_ORDER.indexOf(split);
  return i < 0 ? SPLIT_ORDER.length : i;
}

/** Metrics with 95 % intervals per split at the reported epoch. */
export function metricsTable(e: RunEvaluation): Table {
  const sorted = [...e.splits].sort((a, b) =>
    splitRank(a.split) - splitRank(b.split)
  );
  const level = Math.round((e.splits[0]?.ci.level ?? 0.95) * 100);
  return {
    head: [
      "split",
      "slides",
      `accuracy [${level} % CI]`,
      "balanced accuracy",
      "AUC",
      "macro-F1",
    ],
    rows: sorted.map((s) => [
      s.split,
      String(s.ci.metrics.n),
      withCiOf(s.ci.accuracy, s.ci.metrics),
      withCiOf(s.ci.balancedAccuracy, s.ci.metrics),
      withCiOf(s.ci.auc, s.ci.metrics),
      withCiOf(s.ci.macroF1, s.ci.metrics),
    ]),
    ...notesOf(
      fewSlidesNote(
        sorted.map((s) => ({ split: s.split, metrics: s.ci.metrics })),
      ),
    ),
  };
}

/** Stability per split: last-half JS, settling epoch, final entropy and effective patches. */
export function stabilityTable(e: RunEvaluation): Table {
  const localisation = e.localisation.find((l) => l.epoch === e.epoch);
  return {
    head: [
      "split",
      "slides",
      "epochs",
      "mean JS, last half",
      `settling epoch (JS < ${e.threshold})`,
      "final entropy",
      "final effective patches",
    ],
    rows: e.stability.map((s) => [
      s.split,
      String(s.slides),
      String(s.epochs),
      small(s.meanJsLastHalf),
      s.settlingEpoch === null
        ? "not settled"
        : String(shownEpoch(s.settlingEpoch)),
      num(s.finalEntropy),
      num(s.finalEffectivePatches, 1),
    ]).concat(
      localisation
        ? [[
          `localisation AUC at epoch ${shownEpoch(e.epoch)}`,
          String(localisation.slides),
          "",
          num(localisation.auc),
          "",
          "",
          "",
        ]]
        : [],
    ),
  };
}

/**
 * Per slide, most stable first: last-half JS, final entropy and effective
 * patches, and localisation AUC at the reported epoch where tiles are
 * labelled. At most `limit` rows (the most and least stable halves).
 */
export function slideTable(e: RunEvaluation, limit = 20): Table {
  const final = new Map(
    e.slideStability.map((r) => [r.slide, r] as const).sort((a, b) =>
      a[1].epoch - b[1].epoch
    ),
  );
  const auc = new Map(e.slideLocalisation.map((l) => [l.slide, l.auc]));
  const slides = e.slides.length <= limit ? e.slides : [
    ...e.slides.slice(0, Math.ceil(limit / 2)),
    ...e.slides.slice(e.slides.length - Math.floor(limit / 2)),
  ];
  const rows = slides.map((s) => [
    s.slide,
    s.split ?? "–",
    small(s.meanJsLastHalf),
    num(s.finalEntropy),
    num(final.get(s.slide)?.effectivePatches, 1),
    num(auc.get(s.slide)),
  ]);
  if (slides.length < e.slides.length) {
    rows.splice(Math.ceil(limit / 2), 0, [
      `… ${e.slides.length - slides.length} more`,
      "",
      "",
      "",
      "",
      "",
    ]);
  }
  return {
    head: [
      "slide",
      "split",
      "mean JS, last half",
      "final entropy",
      "final effective patches",
      `localisation AUC (epoch ${shownEpoch(e.epoch)})`,
    ],
    rows,
  };
}

/** One row per run: model, reported epoch, test (else val) AUC and macro-F1, stability. */
export function comparisonTable(evaluations: readonly RunEvaluation[]): Table {
  const shown = (e: RunEvaluation) =>
    [...e.splits].sort((a, b) => splitRank(a.split) - splitRank(b.split))[0];
  const marked = evaluations.flatMap((e) => {
    const s = shown(e);
    return s
      ? [{ split: `${e.run.id} ${s.split}`, metrics: s.ci.metrics }]
      : [];
  });
  return {
    head: [
      "run",
      "model",
      "epoch",
      "split",
      "AUC",
      "macro-F1",
      "mean JS, last half",
      "settling epoch",
    ],
    rows: evaluations.map((e) => {
      const s = shown(e);
      const all = e.stability.find((x) => x.split === "all");
      return [
        e.run.id,
        e.run.model,
        String(shownEpoch(e.epoch)),
        s?.split ?? "–",
        s ? withCiOf(s.ci.auc, s.ci.metrics) : "–",
        s ? withCiOf(s.ci.macroF1, s.ci.metrics) : "–",
        small(all?.meanJsLastHalf),
        all?.settlingEpoch === null || all === undefined
          ? "not settled"
          : String(shownEpoch(all.settlingEpoch)),
      ];
    }),
    ...notesOf(fewSlidesNote(marked)),
  };
}

/** Key facts of a run as label/value pairs. */
export function runFacts(e: RunEvaluation): [string, string][] {
  const r = e.run;
  return [
    ["model", r.model],
    ["status", r.status],
    ["seed", r.seed === null ? "–" : String(r.seed)],
    ["fold", r.fold === null ? "–" : String(r.fold)],
    ["epochs", String(new Set(e.curve.map((c) => c.epoch)).size)],
    ["reported epoch", String(shownEpoch(e.epoch))],
    ["started", r.started ? r.started.toISOString() : "–"],
    ["finished", r.finished ? r.finished.toISOString() : "–"],
  ];
}
