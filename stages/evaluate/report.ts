/**
 * `writeReport`: evaluates runs and writes `report.html` (self-contained)
 * and `report.md` (with its figures under `assets/`) into a folder.
 *
 * @module
 */

import { join } from "node:path";
import type { Store } from "../../data/store.ts";
import { fileSafe } from "./_format.ts";
import {
  evaluateRun,
  type EvaluateRunOptions,
  type RunEvaluation,
} from "./evaluate_run.ts";
import {
  comparisonPlot,
  type FigureOptions,
  runHeatmaps,
  runPlots,
} from "./report_figures.ts";
import {
  type EpochFigureOptions,
  epochPanelId,
  runEpochFigures,
} from "./report_epochs.ts";
import { renderReportHtml, type ReportContent } from "./report_html.ts";
import { renderReportMarkdown } from "./report_markdown.ts";
import { svgToPng } from "./render_plot.ts";

/** Options of {@link writeReport}. */
export interface WriteReportOptions extends FigureOptions, EpochFigureOptions {
  store: Store;
  /** Run ids, in the order shown. */
  runs: readonly string[];
  /** Folder to write into (created when missing). */
  outDir: string;
  /** Page title (default "ASMIL report"). */
  title?: string;
  /** Evaluation settings for every run (see {@link evaluateRun}); `write` defaults to false here. */
  evaluate?: Omit<EvaluateRunOptions, "store" | "run">;
  /** Evaluations already computed (e.g. by `evaluateRun`), used instead of evaluating again. */
  evaluations?: readonly RunEvaluation[];
  /** Also write PNG copies of the plots into `assets/` (default true). */
  plotPngs?: boolean;
}

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  html: string;
  markdown: string;
  /** Files under `assets/`. */
  assets: string[];
  evaluations: RunEvaluation[];
}

/**
 * Writes the report of `runs` (one run, or several compared) into `outDir`.
 *
 * @example
 * ```ts ignore
 * const { html } = await writeReport({ store, runs: ["asmil-0", "abmil-0"], outDir: "out/report" });
 * console.log(`open ${html}`);
 * ```
 */
export async function writeReport(
  options: WriteReportOptions,
): Promise<WrittenReport> {
  const { store, outDir } = options;
  if (options.runs.length === 0) {
    throw new RangeError("writeReport() needs at least one run id: got none");
  }
  const evaluations: RunEvaluation[] = [];
  for (const run of options.runs) {
    const given = options.evaluations?.find((e) => e.run.id === run);
    evaluations.push(
      given ??
        await evaluateRun({ write: false, ...options.evaluate, store, run }),
    );
  }
  const content: ReportContent = {
    title: options.title ?? "ASMIL report",
    generated: new Date(),
    runs: [],
    comparison: evaluations.length > 1
      ? await comparisonPlot(evaluations)
      : null,
  };
  for (const evaluation of evaluations) {
    const heatmaps = await runHeatmaps(store, evaluation, options);
    const selectSplit = options.selectSplit ?? options.evaluate?.selectSplit;
    content.runs.push({
      evaluation,
      plots: await runPlots(evaluation),
      heatmaps: heatmaps.figures,
      ...(heatmaps.note === undefined ? {} : { heatmapNote: heatmaps.note }),
      epochs: await runEpochFigures(store, evaluation, heatmaps.figures, {
        ...options,
        ...(selectSplit === undefined ? {} : { selectSplit }),
      }),
    });
  }
  const assetsDir = join(outDir, "assets");
  await Deno.mkdir(assetsDir, { recursive: true });
  const assets: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    const path = join(assetsDir, name);
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
    assets.push(path);
  };
  const plots = [
    ...content.runs.flatMap((r) => r.plots),
    ...(content.comparison ? [content.comparison] : []),
  ];
  for (const p of plots) {
    await write(`${fileSafe(p.id)}.svg`, p.svg);
    if (options.plotPngs ?? true) {
      await write(`${fileSafe(p.id)}.png`, await svgToPng(p.svg));
    }
  }
  for (const h of content.runs.flatMap((r) => r.heatmaps)) {
    await write(`${fileSafe(h.id)}.png`, h.png);
    if (h.gallery) await write(`${fileSafe(h.id)}-top.png`, h.gallery);
  }
  // The small multiples (not the stepped view's frames: HTML only).
  for (const f of content.runs.flatMap((r) => r.epochs?.slides ?? [])) {
    for (const p of f.maps.panels) {
      await write(`${fileSafe(epochPanelId(f.id, p.epoch))}.png`, p.png);
    }
    await write(`${fileSafe(f.plot.id)}.svg`, f.plot.svg);
  }
  const html = join(outDir, "report.html");
  const markdown = join(outDir, "report.md");
  await Deno.writeTextFile(html, renderReportHtml(content));
  await Deno.writeTextFile(
    markdown,
    renderReportMarkdown(content, (id, ext) => `assets/${fileSafe(id)}.${ext}`),
  );
  return { html, markdown, assets, evaluations };
}
