/**
 * What `asmil evaluate RUN` and `asmil report RUN [RUN…]` do, for the CLI
 * to call: open the store from the command context, evaluate, print a
 * summary on stdout (notes on stderr) and, for `report`, write the report.
 *
 * @module
 */

import { join } from "node:path";
import type { CommandContext } from "../cli_context.ts";
import { fileSafe, shownEpoch } from "../../stages/evaluate/_format.ts";
import {
  evaluateRun,
  type RunEvaluation,
} from "../../stages/evaluate/evaluate_run.ts";
import type { WrittenReport } from "../../stages/evaluate/report.ts";
import { ReportStream } from "../../stages/evaluate/report_stream.ts";
import {
  comparisonTable,
  metricsTable,
  stabilityTable,
  type Table,
} from "../../stages/evaluate/report_tables.ts";
import type { EpochChoice } from "../../stages/evaluate/run_metrics.ts";
import { runMetricsSql } from "../../data/evaluation_queries.ts";

/** Options shared by both commands (strings as they come from flags). */
export interface EvaluateCommandOptions {
  /** `last` (default), `best` or an epoch number. */
  epoch?: string;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Settling threshold on the mean JS divergence (default 0.01). */
  threshold?: number;
  /** k of the top-k overlap (default 10). */
  k?: number;
}

/** Options of {@link reportCommand}. */
export interface ReportCommandOptions extends EvaluateCommandOptions {
  /** Output folder (default `<config.out or "out">/report-<runs>`). */
  out?: string;
  /** Slides per end of the stability ranking to draw (default 2). */
  heatmapSlides?: number;
}

/**
 * Parses an epoch choice: `last`, `best` or an epoch number as printed
 * (1 = the first epoch), returned as the stored epoch (from 0).
 *
 * @example
 * ```ts
 * import { parseEpochChoice } from "./evaluate.ts";
 * if (parseEpochChoice("12") !== 11 || parseEpochChoice("best") !== "best") throw new Error();
 * ```
 */
export function parseEpochChoice(text: string): EpochChoice {
  if (text === "last" || text === "best") return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `--epoch must be "last", "best" or an epoch number from 1 (the first epoch): current value is "${text}"`,
    );
  }
  return n - 1;
}

function evaluateOptions(options: EvaluateCommandOptions) {
  return {
    ...(options.epoch === undefined
      ? {}
      : { epoch: parseEpochChoice(options.epoch) }),
    ...(options.resamples === undefined
      ? {}
      : { bootstrap: { resamples: options.resamples } }),
    ...(options.threshold === undefined
      ? {}
      : { threshold: options.threshold }),
    ...(options.k === undefined ? {} : { k: options.k }),
  };
}

/** A table as aligned plain text. */
export function textTable(t: Table): string {
  const widths = t.head.map((h, i) =>
    Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [
    line(t.head),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...t.rows.map(line),
    ...(t.notes ?? []),
  ].join("\n");
}

/** The text `asmil evaluate` prints for a run. */
export function evaluationSummary(e: RunEvaluation): string {
  return [
    `run ${e.run.id} (${e.run.model}), metrics at epoch ${shownEpoch(e.epoch)}`,
    "",
    textTable(metricsTable(e)),
    "",
    "attention stability",
    "",
    textTable(stabilityTable(e)),
    "",
  ].join("\n");
}

/**
 * `asmil evaluate RUN`: computes everything for a finished run, stores the
 * metric rows (and the stability SQL) and prints a summary.
 *
 * @example
 * ```ts ignore
 * await evaluateCommand(ctx, "asmil-0", { epoch: "best" });
 * ```
 */
export async function evaluateCommand(
  ctx: Pick<CommandContext, "openStore" | "info">,
  run: string,
  options: EvaluateCommandOptions = {},
): Promise<RunEvaluation> {
  const store = await ctx.openStore();
  try {
    const evaluation = await evaluateRun({
      store,
      run,
      ...evaluateOptions(options),
    });
    console.log(evaluationSummary(evaluation));
    ctx.info(
      `stored metrics of ${run}; query them with: asmil sql "${
        runMetricsSql(run)
      }"`,
    );
    return evaluation;
  } finally {
    store.close();
  }
}

/**
 * `asmil report RUN [RUN…]`: evaluates the runs (storing their metrics) and
 * writes `report.html` and `report.md`; prints the HTML path.
 *
 * @example
 * ```ts ignore
 * const { html } = await reportCommand(ctx, ["asmil-0", "abmil-0"], { out: "out/compare" });
 * ```
 */
export async function reportCommand(
  ctx: Pick<CommandContext, "openStore" | "info" | "config">,
  runs: readonly string[],
  options: ReportCommandOptions = {},
): Promise<WrittenReport> {
  if (runs.length === 0) {
    throw new RangeError("asmil report needs at least one run id: got none");
  }
  const outDir = options.out ??
    join(
      ctx.config.out ?? "out",
      `report-${fileSafe(runs.join("+")).slice(0, 80)}`,
    );
  const store = await ctx.openStore();
  try {
    // The end of the chain: run ids in, every run evaluated, one report out.
    const [report] = await Array.fromAsync(
      ReadableStream.from(runs.map((run) => ({ run }))).pipeThrough(
        new ReportStream({
          store,
          outDir,
          evaluate: evaluateOptions(options),
          ...(options.heatmapSlides === undefined
            ? {}
            : { heatmapSlides: options.heatmapSlides }),
        }),
      ),
    );
    if (!report) throw new Error("asmil report wrote no report");
    for (const e of report.evaluations) ctx.info(`evaluated ${e.run.id}`);
    console.log(textTable(comparisonTable(report.evaluations)));
    console.log(report.html);
    ctx.info(`wrote ${report.html} and ${report.markdown}`);
    return report;
  } finally {
    store.close();
  }
}
