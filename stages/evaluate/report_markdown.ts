/**
 * The Markdown summary of a report: the same tables as the HTML page, with
 * plots and heatmaps as image links to files written beside it.
 *
 * @module
 */

import { shownEpoch, small } from "./_format.ts";
import { formatAttention } from "./attention_scale.ts";
import { epochPanelId, panelCaption } from "./report_epochs.ts";
import type { ReportContent } from "./report_html.ts";
import {
  comparisonTable,
  metricsTable,
  runFacts,
  slideTable,
  stabilityTable,
  type Table,
} from "./report_tables.ts";

function table(t: Table): string {
  const cell = (c: string) => c.replaceAll("|", "\\|");
  return [
    `| ${t.head.map(cell).join(" | ")} |`,
    `|${t.head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    ...(t.notes ?? []).map((n) => `\n${n}`),
  ].join("\n");
}

/**
 * The report as Markdown; `asset(id, ext)` gives the relative path of a
 * figure's file (written by the caller).
 *
 * @example
 * ```ts ignore
 * const md = renderReportMarkdown(content, (id, ext) => `assets/${id}.${ext}`);
 * ```
 */
export function renderReportMarkdown(
  content: ReportContent,
  asset: (id: string, ext: "svg" | "png") => string,
): string {
  const evaluations = content.runs.map((r) => r.evaluation);
  const out = [
    `# ${content.title}`,
    "",
    `Generated ${content.generated.toISOString()}.`,
    "",
    "## Summary",
    "",
    table(comparisonTable(evaluations)),
    "",
  ];
  if (content.comparison) {
    out.push(
      `![${content.comparison.title}](${asset(content.comparison.id, "svg")})`,
      "",
    );
  }
  for (const s of content.runs) {
    const e = s.evaluation;
    out.push(`## Run ${e.run.id}`, "");
    out.push(runFacts(e).map(([k, v]) => `- ${k}: ${v}`).join("\n"), "");
    out.push(
      "<details><summary>Configuration</summary>",
      "",
      "```json",
      JSON.stringify(e.run.config, null, 2),
      "```",
      "",
      "</details>",
      "",
    );
    out.push(
      `### Metrics at epoch ${shownEpoch(e.epoch)}`,
      "",
      table(metricsTable(e)),
      "",
    );
    out.push("### Attention stability", "", table(stabilityTable(e)), "");
    out.push("Per slide, most stable first:", "", table(slideTable(e)), "");
    for (const p of s.plots) {
      out.push(`![${p.title}](${asset(p.id, "svg")})`, "");
    }
    if (s.heatmaps.length || s.heatmapNote) {
      out.push("### Heatmaps: most and least stable slides", "");
    }
    if (s.heatmapNote) out.push(`_${s.heatmapNote}._`, "");
    for (const h of s.heatmaps) {
      out.push(
        `**${h.slide}** (${
          h.split ?? "no split"
        }), ${h.group} stable, mean JS over the last half ${
          small(h.meanJsLastHalf)
        }`,
        "",
        `![heatmap of ${h.slide}](${asset(h.id, "png")})`,
        "",
      );
      if (h.gallery) {
        out.push(
          `![top tiles of ${h.slide}](${asset(`${h.id}-top`, "png")})`,
          "",
        );
      }
      if (h.note) out.push(`_${h.note}_`, "");
    }
    const epochSlides = s.epochs?.slides ?? [];
    if (epochSlides.length > 0) {
      out.push(
        "### Attention over epochs: most and least stable slides",
        "",
        "Colour: attention value, on one log scale per slide over all its epochs (the heatmaps above colour by rank within one epoch). The HTML report has the colour legend and a stepped view of every epoch.",
        "",
      );
    }
    for (const f of epochSlides) {
      out.push(
        `**${f.slide}** (${
          f.split ?? "no split"
        }), ${f.group} stable; colour scale ${
          formatAttention(f.maps.scale.min)
        } to ${formatAttention(f.maps.scale.max)} (${f.maps.scale.kind})`,
        "",
        table({
          head: ["epoch", "attention range", "effective patches", "map"],
          rows: f.maps.panels.map((p) => {
            const [epoch, range] = panelCaption(
              p.epoch,
              p,
              f.tags.get(p.epoch) ?? [],
            );
            return [
              epoch,
              range.replace(/^attention /, ""),
              p.effectivePatches.toFixed(1),
              `![${epoch}](${asset(epochPanelId(f.id, p.epoch), "png")})`,
            ];
          }),
        }),
        "",
        `![${f.plot.title}](${asset(f.plot.id, "svg")})`,
        "",
      );
    }
  }
  return out.join("\n");
}
