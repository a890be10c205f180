/**
 * The HTML report: one self-contained page (styles inline, plots as inline
 * SVG, heatmaps and galleries as PNG data URIs).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { escapeHtml, fileSafe, shownEpoch, small } from "./_format.ts";
import type { RunEvaluation } from "./evaluate_run.ts";
import { scopeSvgIds } from "./_svg_ids.ts";
import type { RunEpochFigures } from "./report_epochs.ts";
import {
  EPOCH_STYLE,
  epochSlidesHtml,
  epochStepHtml,
  STEPPER_SCRIPT,
} from "./report_epochs_html.ts";
import type { HeatmapFigure, PlotFigure } from "./report_figures.ts";
import {
  comparisonTable,
  metricsTable,
  runFacts,
  slideTable,
  stabilityTable,
  type Table,
} from "./report_tables.ts";

/** A run's part of the report. */
export interface RunSection {
  evaluation: RunEvaluation;
  plots: PlotFigure[];
  heatmaps: HeatmapFigure[];
  /** Why some or all slides have no heatmap. */
  heatmapNote?: string;
  /** The heatmap slides over epochs (small multiples, stepped view). */
  epochs?: RunEpochFigures;
}

/** Everything a report shows. */
export interface ReportContent {
  title: string;
  generated: Date;
  runs: RunSection[];
  /** The runs' stability curves together (null for a single run). */
  comparison: PlotFigure | null;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1280px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
figure{margin:1rem 0;display:inline-block;vertical-align:top}figcaption{font-size:.88rem;color:#444;max-width:640px}
.plot svg{max-width:100%;height:auto}.heatmaps{display:flex;flex-direction:column;gap:1rem}.heatmap{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.heatmap img{display:block;max-width:640px;border:1px solid #ccc}.gallery img{max-width:640px}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:.85rem}.muted{color:#666}
${EPOCH_STYLE}`;

export { scopeSvgIds };

function table(t: Table): string {
  const row = (cells: string[], tag: string) =>
    `<tr>${
      cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")
    }</tr>`;
  const head = t.head.length ? `<thead>${row(t.head, "th")}</thead>` : "";
  const notes = (t.notes ?? []).map((n) =>
    `<p class="note">${escapeHtml(n)}</p>`
  ).join("");
  return `<table>${head}<tbody>${
    t.rows.map((r) => row(r, "td")).join("")
  }</tbody></table>${notes}`;
}

function png(bytes: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
}

function plot(p: PlotFigure): string {
  return `<figure class="plot" id="${fileSafe(p.id)}">${
    scopeSvgIds(p.svg, fileSafe(p.id))
  }<figcaption>${escapeHtml(p.title)}</figcaption></figure>`;
}

function heatmap(h: HeatmapFigure, epoch: number): string {
  const outline = h.outline === "mask"
    ? "tumour outline from the ground-truth mask"
    : h.outline === "tiles"
    ? "tumour outline from tile labels"
    : "no tumour annotated";
  const caption = `${h.slide} (${
    h.split ?? "no split"
  }), ${h.group} stable: mean JS over the last half ${
    small(h.meanJsLastHalf)
  }; epoch ${
    shownEpoch(epoch)
  }; ${outline}. Colour: each tile's percentile rank of attention within this slide at this epoch (the bar's 0–100%), not the attention value; the panels over epochs below show values.`;
  return `<div class="heatmap"><figure><img alt="attention heatmap of ${
    escapeHtml(h.slide)
  }" src="${png(h.png)}">
<figcaption>${escapeHtml(caption)}${
    h.note ? ` <span class="muted">(${escapeHtml(h.note)})</span>` : ""
  }</figcaption></figure>${
    h.gallery
      ? `<figure class="gallery"><img alt="top tiles of ${
        escapeHtml(h.slide)
      }" src="${
        png(h.gallery)
      }"><figcaption>Top ${h.topTiles.length} tiles by attention</figcaption></figure>`
      : ""
  }</div>`;
}

function runSection(s: RunSection): string {
  const e = s.evaluation;
  return `<section id="run-${fileSafe(e.run.id)}">
<h2>Run ${escapeHtml(e.run.id)}</h2>
${table({ head: [], rows: runFacts(e) })}
<details><summary>Configuration</summary><pre>${
    escapeHtml(JSON.stringify(e.run.config, null, 2))
  }</pre></details>
<h3>Metrics at epoch ${shownEpoch(e.epoch)}</h3>
${table(metricsTable(e))}
${s.plots.filter((p) => !p.id.endsWith("-stability")).map(plot).join("\n")}
<h3>Attention stability</h3>
<p class="muted">JS divergence of each slide's attention to the previous epoch (to uniform at the first), top-${e.k} overlap and Spearman correlation are per slide in the store (<code>attention_stability_full()</code>); the settling epoch is the first after which the mean JS divergence stays below ${e.threshold}. Epochs count from 1 here; the store counts them from 0.</p>
${table(stabilityTable(e))}
<details><summary>Per slide (most stable first)</summary>${
    table(slideTable(e))
  }</details>
${s.plots.filter((p) => p.id.endsWith("-stability")).map(plot).join("\n")}
${
    s.heatmaps.length || s.heatmapNote
      ? `<h3>Heatmaps: most and least stable slides</h3>${
        s.heatmapNote
          ? `<p class="muted">${escapeHtml(s.heatmapNote)}.</p>`
          : ""
      }<div class="heatmaps">${
        s.heatmaps.map((h) => heatmap(h, e.epoch)).join("\n")
      }</div>`
      : ""
  }
${s.epochs ? epochSlidesHtml(s.epochs.slides) : ""}
${s.epochs ? epochStepHtml(s.epochs.step) : ""}
</section>`;
}

/**
 * The report as one HTML document.
 *
 * @example
 * ```ts ignore
 * const html = renderReportHtml({ title: "ASMIL", generated: new Date(), runs, comparison: null });
 * ```
 */
export function renderReportHtml(content: ReportContent): string {
  const evaluations = content.runs.map((r) => r.evaluation);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${
    escapeHtml(content.title)
  }</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(content.title)}</h1>
<p class="muted">Generated ${content.generated.toISOString()} · runs: ${
    evaluations.map((e) =>
      `<a href="#run-${fileSafe(e.run.id)}">${escapeHtml(e.run.id)}</a>`
    ).join(", ")
  }</p>
<h2>Summary</h2>
${table(comparisonTable(evaluations))}
${content.comparison ? plot(content.comparison) : ""}
${content.runs.map(runSection).join("\n")}
${content.runs.some((r) => r.epochs?.step) ? STEPPER_SCRIPT : ""}
</body></html>
`;
}
