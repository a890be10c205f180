/**
 * The figures of a report: per run ROC curves, learning curves, stability
 * curves and heatmaps of its most and least stable slides; across runs the
 * JS-divergence curves side by side.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { SlideReader } from "../tile/slide_reader.ts";
import type { RunEvaluation } from "./evaluate_run.ts";
import {
  type CurvePoint,
  learningCurveSpec,
  rocSpec,
  stabilitySpec,
} from "./plot_specs.ts";
import { shownEpoch } from "./_format.ts";
import { renderSvg } from "./render_plot.ts";
import { areaUnder } from "./roc_curve.ts";
import { slideHeatmap, type TopTile } from "./slide_heatmap.ts";

/** A rendered plot. */
export interface PlotFigure {
  id: string;
  title: string;
  svg: string;
}

/** A heatmap of one slide, with its gallery of top tiles. */
export interface HeatmapFigure {
  id: string;
  slide: string;
  split: string | null;
  /** `most` or `least` stable. */
  group: "most" | "least";
  meanJsLastHalf: number;
  png: Uint8Array;
  gallery: Uint8Array | null;
  topTiles: TopTile[];
  outline: "mask" | "tiles" | null;
  note?: string;
}

/** Options of {@link runFigures}. */
export interface FigureOptions {
  /** Slides drawn from each end of the stability ranking (default 2). */
  heatmapSlides?: number;
  /** Longest thumbnail side (default 640). */
  maxSide?: number;
  /** Top tiles per gallery (default 8). */
  topk?: number;
  /** Opens slide files (default `openSlide`). */
  open?: (path: string) => SlideReader;
}

function byEpochMean(
  rows: readonly { epoch: number; series: string; value: number }[],
): CurvePoint[] {
  const groups = Map.groupBy(rows, (r) => `${r.series}\u0000${r.epoch}`);
  return [...groups.values()].map((g) => ({
    epoch: g[0]!.epoch,
    series: g[0]!.series,
    value: g.reduce((s, r) => s + r.value, 0) / g.length,
  }));
}

/** Learning curves of a run: loss parts, per-split AUC and macro-F1, localisation AUC. */
export function learningCurvePoints(
  e: RunEvaluation,
): { losses: CurvePoint[]; metrics: CurvePoint[] } {
  const losses = e.losses.flatMap(({ epoch, losses }) =>
    Object.entries(losses).filter(([, v]) => typeof v === "number").map((
      [series, value],
    ) => ({ epoch: shownEpoch(epoch), series, value }))
  );
  const metrics = e.curve.filter((m) => m.split !== "train").flatMap((m) => [
    {
      epoch: shownEpoch(m.epoch),
      series: `${m.split} AUC`,
      value: m.metrics.auc,
    },
    {
      epoch: shownEpoch(m.epoch),
      series: `${m.split} macro-F1`,
      value: m.metrics.macroF1,
    },
  ]);
  for (const l of e.localisation) {
    metrics.push({
      epoch: shownEpoch(l.epoch),
      series: "localisation AUC",
      value: l.auc,
    });
  }
  return { losses, metrics };
}

/** Plots of one run: ROC, learning curves, stability. */
export async function runPlots(e: RunEvaluation): Promise<PlotFigure[]> {
  const id = e.run.id;
  const roc = rocSpec(e.roc.map((c) => ({
    name: `${c.split}${
      e.roc.filter((o) => o.split === c.split).length > 1
        ? ` class ${c.positive}`
        : ""
    } (AUC ${areaUnder(c.points).toFixed(3)})`,
    points: c.points,
  })));
  const { losses, metrics } = learningCurvePoints(e);
  const stability = stabilitySpec(
    byEpochMean(
      e.slideStability.flatMap((r) =>
        r.jsDivergence === null ? [] : [{
          epoch: shownEpoch(r.epoch),
          series: r.split ?? "none",
          value: r.jsDivergence,
        }]
      ),
    ),
    byEpochMean(
      e.slideStability.map((r) => ({
        epoch: shownEpoch(r.epoch),
        series: r.split ?? "none",
        value: r.effectivePatches,
      })),
    ),
    e.threshold,
  );
  return [
    {
      id: `${id}-roc`,
      title: `ROC at epoch ${shownEpoch(e.epoch)}`,
      svg: await renderSvg(roc),
    },
    {
      id: `${id}-learning`,
      title: "Learning curves",
      svg: await renderSvg(learningCurveSpec(losses, metrics)),
    },
    {
      id: `${id}-stability`,
      title: "Attention stability per split",
      svg: await renderSvg(stability),
    },
  ];
}

/** JS divergence and effective patches per epoch, one line per run (all slides). */
export async function comparisonPlot(
  evaluations: readonly RunEvaluation[],
): Promise<PlotFigure> {
  const name = (e: RunEvaluation) => `${e.run.id} (${e.run.model})`;
  const meanJs = evaluations.flatMap((e) =>
    (e.stability.find((s) => s.split === "all")?.meanJsByEpoch ?? []).map((
      m,
    ) => ({
      epoch: shownEpoch(m.epoch),
      series: name(e),
      value: m.meanJs,
    }))
  );
  const effective = evaluations.flatMap((e) =>
    byEpochMean(
      e.slideStability.map((r) => ({
        epoch: shownEpoch(r.epoch),
        series: name(e),
        value: r.effectivePatches,
      })),
    )
  );
  return {
    id: "comparison-stability",
    title: "Mean JS divergence per epoch, runs compared",
    svg: await renderSvg(
      stabilitySpec(meanJs, effective, evaluations[0]?.threshold),
    ),
  };
}

/** Heatmaps of a run, and why some slides could not be drawn. */
export interface RunHeatmaps {
  figures: HeatmapFigure[];
  /** Set when slides were left out (no bag tiles in the store, or counts differ). */
  note?: string;
}

/**
 * Heatmaps of the most and least stable slides of a run at its reported
 * epoch, among the slides whose bag tiles in the store match their attention.
 */
export async function runHeatmaps(
  store: Store,
  e: RunEvaluation,
  options: FigureOptions = {},
): Promise<RunHeatmaps> {
  const n = options.heatmapSlides ?? 2;
  const drawable = await store.slidesMatchingAttention(e.run.id, e.epoch);
  const ranked = e.slides.filter((s) =>
    Number.isFinite(s.meanJsLastHalf) && drawable.has(s.slide)
  );
  const left = e.slides.length - ranked.length;
  const note = left > 0
    ? `${left} of ${e.slides.length} slides have no matching tiles in the store (bag tile count ≠ attention length) and cannot be drawn`
    : undefined;
  const most = ranked.slice(0, n);
  const least = ranked.slice(Math.max(n, ranked.length - n)).reverse();
  const picks = [
    ...most.map((s) => ({ s, group: "most" as const })),
    ...least.map((s) => ({ s, group: "least" as const })),
  ];
  const figures: HeatmapFigure[] = [];
  for (const { s, group } of picks) {
    const map = await slideHeatmap({
      store,
      run: e.run.id,
      epoch: e.epoch,
      slide: s.slide,
      maxSide: options.maxSide ?? 640,
      topk: options.topk ?? 8,
      cell: 120,
      ...(options.open ? { open: options.open } : {}),
    });
    figures.push({
      id: `${e.run.id}-${s.slide}`,
      slide: s.slide,
      split: s.split,
      group,
      meanJsLastHalf: s.meanJsLastHalf,
      png: map.png,
      gallery: map.gallery,
      topTiles: map.topTiles,
      outline: map.outline,
      ...(map.note === undefined ? {} : { note: map.note }),
    });
  }
  return note === undefined ? { figures } : { figures, note };
}
