/**
 * The evaluate stage as a stream, for the end of a pipeline: it takes the
 * trainer's epoch events (anything with a `run` id), and when they end it
 * evaluates every run it saw (storing the metrics) and writes one report
 * comparing them, which it emits.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import { evaluateRun, type EvaluateRunOptions } from "./evaluate_run.ts";
import { writeReport, type WrittenReport } from "./report.ts";
import type { FigureOptions } from "./report_figures.ts";

/** Options of {@link ReportStream}. */
export interface ReportStreamOptions extends FigureOptions {
  store: Store;
  /** Folder the report is written into, or a function of the runs' ids (in order seen). */
  outDir: string | ((runs: readonly string[]) => string);
  title?: string;
  /** Evaluation settings for every run. */
  evaluate?: Omit<EvaluateRunOptions, "store" | "run">;
}

/**
 * Collects run ids from epoch events and, on close, evaluates the runs and
 * writes their report.
 *
 * @example
 * ```ts ignore
 * const [report] = await Array.fromAsync(
 *   trainEvents.pipeThrough(new ReportStream({ store, outDir: "out/report" })),
 * );
 * console.log(report.html);
 * ```
 */
export class ReportStream
  extends TransformStream<{ run: string }, WrittenReport> {
  constructor(options: ReportStreamOptions) {
    const runs: string[] = [];
    super({
      transform(event) {
        if (typeof event?.run !== "string") {
          throw new TypeError(
            `ReportStream expects events with a run id: got ${
              JSON.stringify(event)
            }`,
          );
        }
        if (!runs.includes(event.run)) runs.push(event.run);
      },
      async flush(controller) {
        if (runs.length === 0) return;
        const evaluations = [];
        for (const run of runs) {
          evaluations.push(
            await evaluateRun({
              ...options.evaluate,
              store: options.store,
              run,
            }),
          );
        }
        const { outDir } = options;
        controller.enqueue(
          await writeReport({
            ...options,
            outDir: typeof outDir === "string" ? outDir : outDir(runs),
            runs,
            evaluations,
          }),
        );
      },
    });
  }
}
