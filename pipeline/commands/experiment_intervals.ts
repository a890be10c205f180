/**
 * Confidence intervals of an experiment, from the store: per configuration
 * the mean test AUC, macro-F1 and accuracy over its runs with a 95 %
 * bootstrap interval that draws the runs (seeds × folds) and then the test
 * slides within each run; and per anchored configuration the paired
 * difference to the same model without the anchor on the same seed and fold
 * (same split, same initial weights, same slide order), whose interval
 * resamples the pairs and their common test slides together. Stability and
 * localisation are measured once per run, so their paired differences get a
 * Student-t interval over the pairs. JS divergence varies by a factor of
 * several between seeds and one seed can dominate a mean, so it is also
 * compared on the log scale: `js_log_ratio`, the mean over the pairs of
 * ln(JS anchored ÷ JS none), whose exponential is the geometric-mean ratio.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import {
  groupedBootstrap,
  type GroupedInterval,
  tInterval,
} from "../../stages/evaluate/grouped_bootstrap.ts";
import { classificationMetrics } from "../../stages/evaluate/metrics.ts";
import type { ExperimentConfiguration } from "./experiment_plan.ts";
import { formatMeasure } from "./experiment_table.ts";

/** Classification measures with bootstrap intervals, in column order. */
export const CLASSIFICATION_MEASURES = ["auc", "macro_f1", "accuracy"] as const;
/** Per-run measures whose paired differences get a t interval. */
export const RUN_MEASURES = [
  "js_last_half",
  "js_log_ratio",
  "topk_last_half",
  "effective_patches",
  "localisation_auc",
] as const;

type ClassificationMeasure = typeof CLASSIFICATION_MEASURES[number];
type RunMeasure = typeof RUN_MEASURES[number];

/** Test metrics of one configuration with 95 % intervals. */
export interface ConfigurationIntervals {
  model: string;
  anchor: string;
  runs: number;
  /** Test slides over all runs. */
  slides: number;
  intervals: Record<ClassificationMeasure, GroupedInterval>;
}

/** Anchored minus unanchored, same model, seed and fold. */
export interface PairedDifference {
  model: string;
  anchor: string;
  pairs: number;
  intervals: Record<ClassificationMeasure | RunMeasure, GroupedInterval>;
}

/** Everything {@link experimentIntervals} computes. */
export interface ExperimentIntervals {
  configurations: ConfigurationIntervals[];
  differences: PairedDifference[];
  resamples: number;
}

interface RunParts {
  model: string;
  anchor: string;
  /** Seed and fold, the key that pairs runs. */
  replicate: string;
}

function runParts(run: string): RunParts {
  // exp.<experiment>.<model>.<anchor>.s<seed>.f<fold>
  const [, , model, anchor, seed, fold] = run.split(".");
  return { model: model!, anchor: anchor!, replicate: `${seed}.${fold}` };
}

interface Slide {
  slide: string;
  label: number;
  probabilities: number[];
}

function measures(slides: readonly Slide[]): number[] {
  const m = classificationMetrics({
    probabilities: slides.map((s) => s.probabilities),
    labels: slides.map((s) => s.label),
  });
  return [m.auc, m.macroF1, m.accuracy];
}

/**
 * Intervals of experiment `name`: per configuration (in the order of
 * `order`, then the rest) and the paired differences of every anchored
 * configuration to its model's `none` configuration.
 *
 * @example
 * ```ts ignore
 * const { configurations, differences } = await experimentIntervals(store, "cohort-1a2b-c3d4");
 * ```
 */
export async function experimentIntervals(
  store: Store,
  name: string,
  order: readonly ExperimentConfiguration[] = [],
  options: { resamples?: number; seed?: number } = {},
): Promise<ExperimentIntervals> {
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 0;
  const rows = await store.experimentTestPredictions(name);
  const byRun = Map.groupBy(rows, (r) => r.run);
  const figures = await store.experimentRunFigures(name);
  const figureOf = new Map(
    figures.map((f) => [`${f.run}\u0000${f.name}`, f.value]),
  );
  // js_log_ratio is ln JS per run, so its pair difference is ln(JS a ÷ JS b).
  const figure = (run: string, measure: RunMeasure): number => {
    if (measure === "js_log_ratio") {
      return Math.log(figure(run, "js_last_half"));
    }
    const stored = measure === "effective_patches"
      ? "final_effective_patches"
      : measure;
    const v = figureOf.get(`${run}\u0000${stored}`);
    return v === null || v === undefined ? NaN : Number(v);
  };
  const key = (c: { model: string; anchor: string }) =>
    `${c.model}.${c.anchor}`;
  const runsOf = Map.groupBy(
    [...byRun.keys()],
    (run) => key(runParts(run)),
  );
  const rank = (k: string) => {
    const i = order.findIndex((c) => key(c) === k);
    return i < 0 ? order.length : i;
  };
  const configurationKeys = [...runsOf.keys()].sort((a, b) =>
    rank(a) - rank(b) || a.localeCompare(b)
  );

  const configurations = configurationKeys.map((k) => {
    const runs = runsOf.get(k)!;
    const groups = runs.map((run) => {
      const slides = byRun.get(run)!;
      return { items: slides, strata: slides.map((s) => s.label) };
    });
    const [auc, macroF1, accuracy] = groupedBootstrap(groups, measures, {
      resamples,
      seed,
    });
    const { model, anchor } = runParts(runs[0]!);
    return {
      model,
      anchor,
      runs: runs.length,
      slides: groups.reduce((s, g) => s + g.items.length, 0),
      intervals: { auc: auc!, macro_f1: macroF1!, accuracy: accuracy! },
    };
  });

  const differences: PairedDifference[] = [];
  for (const k of configurationKeys) {
    const { model, anchor } = runParts(runsOf.get(k)![0]!);
    const baseline = runsOf.get(key({ model, anchor: "none" }));
    if (anchor === "none" || !baseline) continue;
    const pairs = runsOf.get(k)!.flatMap((run) => {
      const twin = baseline.find((b) =>
        runParts(b).replicate === runParts(run).replicate
      );
      return twin ? [[run, twin] as const] : [];
    });
    if (pairs.length === 0) continue;
    const groups = pairs.map(([a, b]) => {
      const other = new Map(byRun.get(b)!.map((s) => [s.slide, s]));
      const items = byRun.get(a)!.flatMap((s) => {
        const t = other.get(s.slide);
        return t ? [{ a: s, b: t }] : [];
      });
      return { items, strata: items.map((i) => i.a.label) };
    });
    const [auc, macroF1, accuracy] = groupedBootstrap(
      groups,
      (items) => {
        const a = measures(items.map((i) => i.a));
        const b = measures(items.map((i) => i.b));
        return a.map((x, i) => x - b[i]!);
      },
      { resamples, seed },
    );
    const runDifference = (m: RunMeasure) =>
      tInterval(pairs.map(([a, b]) => figure(a, m) - figure(b, m)));
    differences.push({
      model,
      anchor,
      pairs: pairs.length,
      intervals: {
        auc: auc!,
        macro_f1: macroF1!,
        accuracy: accuracy!,
        js_last_half: runDifference("js_last_half"),
        js_log_ratio: runDifference("js_log_ratio"),
        topk_last_half: runDifference("topk_last_half"),
        effective_patches: runDifference("effective_patches"),
        localisation_auc: runDifference("localisation_auc"),
      },
    });
  }
  return { configurations, differences, resamples };
}

const HEADERS: Record<ClassificationMeasure | RunMeasure, string> = {
  auc: "AUC",
  macro_f1: "macro-F1",
  accuracy: "accuracy",
  js_last_half: "JS last half",
  js_log_ratio: "ln JS last half",
  topk_last_half: "top-k overlap",
  effective_patches: "effective patches",
  localisation_auc: "localisation AUC",
};

function format(measure: string, x: number, signed: boolean): string {
  if (Number.isNaN(x)) return "–";
  const text = formatMeasure(measure, x);
  return signed && x >= 0 ? `+${text}` : text;
}

function cell(measure: string, i: GroupedInterval, signed = false): string {
  if (Number.isNaN(i.value)) return "–";
  const value = format(measure, i.value, signed);
  if (Number.isNaN(i.lo)) return value;
  const range = `[${format(measure, i.lo, signed)}, ${
    format(measure, i.hi, signed)
  }]`;
  // A paired interval that excludes 0 is marked.
  const mark = signed && (i.lo > 0 || i.hi < 0) ? " *" : "";
  return `${value} ${range}${mark}`;
}

/**
 * The two tables as Markdown: per configuration, and paired differences
 * (anchored − none; `*` marks an interval that excludes 0).
 *
 * @example
 * ```ts
 * import { intervalsMarkdown } from "./experiment_intervals.ts";
 * const md = intervalsMarkdown({ configurations: [], differences: [], resamples: 10 });
 * if (!md.includes("| model | anchor | runs | test slides | AUC |")) throw new Error(md);
 * ```
 */
export function intervalsMarkdown(x: ExperimentIntervals): string {
  const head1 = [
    "model",
    "anchor",
    "runs",
    "test slides",
    ...CLASSIFICATION_MEASURES.map((m) => HEADERS[m]),
  ];
  const head2 = [
    "model",
    "anchor",
    "pairs",
    ...[...CLASSIFICATION_MEASURES, ...RUN_MEASURES].map((m) =>
      `Δ ${HEADERS[m]}`
    ),
  ];
  const table = (head: string[], rows: string[][]) =>
    [
      `| ${head.join(" | ")} |`,
      `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`,
      ...rows.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
  return [
    `Test metrics, mean over runs with a 95 % bootstrap interval (${x.resamples} resamples drawing runs, then test slides within each run and class):`,
    "",
    table(
      head1,
      x.configurations.map((c) => [
        c.model,
        c.anchor,
        String(c.runs),
        String(c.slides),
        ...CLASSIFICATION_MEASURES.map((m) => cell(m, c.intervals[m])),
      ]),
    ),
    "",
    "Paired differences, anchored − the same model without the anchor on the same seed and fold; classification measures with a paired bootstrap interval (pairs, then their common test slides), per-run measures with a Student-t interval over the pairs; `*`: the 95 % interval excludes 0:",
    "",
    table(
      head2,
      x.differences.map((d) => [
        d.model,
        d.anchor,
        String(d.pairs),
        ...[...CLASSIFICATION_MEASURES, ...RUN_MEASURES].map((m) =>
          cell(m, d.intervals[m], true)
        ),
      ]),
    ),
    "",
  ].join("\n");
}

/** CSV of `rows`: the `leading` columns, then value, lo and hi per measure. */
function intervalTableCsv<
  R extends { intervals: Record<string, GroupedInterval> },
>(
  leading: readonly string[],
  measures: readonly string[],
  rows: readonly R[],
  lead: (row: R) => readonly (string | number)[],
): string {
  const num = (x: number) => (Number.isNaN(x) ? "" : String(x));
  return [
    [...leading, ...measures.flatMap((m) => [m, `${m}_lo`, `${m}_hi`])]
      .join(","),
    ...rows.map((r) =>
      [
        ...lead(r),
        ...measures.flatMap((m) => {
          const i = r.intervals[m]!;
          return [num(i.value), num(i.lo), num(i.hi)];
        }),
      ].join(",")
    ),
  ].join("\n") + "\n";
}

/**
 * The per-configuration intervals as CSV: `<measure>`, `<measure>_lo`,
 * `<measure>_hi` per classification measure.
 *
 * @example
 * ```ts
 * import { configurationsCsv } from "./experiment_intervals.ts";
 * if (!configurationsCsv([]).startsWith("model,anchor,runs,slides,auc,auc_lo,")) throw new Error();
 * ```
 */
export function configurationsCsv(
  rows: readonly ConfigurationIntervals[],
): string {
  return intervalTableCsv(
    ["model", "anchor", "runs", "slides"],
    CLASSIFICATION_MEASURES,
    rows,
    (c) => [c.model, c.anchor, c.runs, c.slides],
  );
}

/**
 * The paired differences as CSV: `<measure>`, `<measure>_lo`, `<measure>_hi`
 * per measure (empty when undefined).
 *
 * @example
 * ```ts
 * import { differencesCsv } from "./experiment_intervals.ts";
 * if (!differencesCsv([]).startsWith("model,anchor,pairs,auc,auc_lo,auc_hi,")) throw new Error();
 * ```
 */
export function differencesCsv(rows: readonly PairedDifference[]): string {
  return intervalTableCsv(
    ["model", "anchor", "pairs"],
    [...CLASSIFICATION_MEASURES, ...RUN_MEASURES],
    rows,
    (d) => [d.model, d.anchor, d.pairs],
  );
}
