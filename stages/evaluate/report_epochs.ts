/**
 * The report's figures of attention over epochs: for each slide drawn as a
 * heatmap (the most and least stable), small multiples at a few epochs on
 * one absolute colour scale with a small plot of the slide's JS divergence
 * and effective patches per epoch; and for one slide (the least stable) a
 * map at every epoch, for the stepped view.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { SlideReader } from "../tile/slide_reader.ts";
import { shownEpoch } from "./_format.ts";
import {
  type AttentionScaleOptions,
  formatAttention,
} from "./attention_scale.ts";
import {
  panelEpochs,
  type SlideEpochHeatmaps,
  slideEpochHeatmaps,
  spreadEpochs,
} from "./epoch_heatmaps.ts";
import type { RunEvaluation } from "./evaluate_run.ts";
import { renderSvg } from "./render_plot.ts";
import type { PlotFigure } from "./report_figures.ts";
import { chooseEpoch } from "./run_metrics.ts";
import { type SlideEpochPoint, slideEpochSpec } from "./slide_epoch_plot.ts";

/** Options of {@link runEpochFigures}. */
export interface EpochFigureOptions {
  /** Longest side of a small-multiple panel in pixels (default 200). */
  panelSide?: number;
  /** Longest side of a stepped-view frame in pixels (default 360). */
  stepSide?: number;
  /** Most frames of the stepped view; longer runs are evenly thinned (default 50). */
  maxFrames?: number;
  /** The shared colour scale of a slide's maps (default log over 4 decades). */
  epochScale?: AttentionScaleOptions;
  /** Split whose AUC picks the best epoch (default `"val"`, as `evaluateRun`). */
  selectSplit?: string;
  /** Opens slide files (default `openSlide`). */
  open?: (path: string) => SlideReader;
}

/** Which slide a figure shows, and why it was chosen. */
export interface ChosenSlide {
  slide: string;
  split: string | null;
  group: "most" | "least";
  meanJsLastHalf: number;
}

/** A slide's small multiples and its per-epoch plot. */
export interface EpochSlideFigure extends ChosenSlide {
  id: string;
  maps: SlideEpochHeatmaps;
  /** Why each panel's epoch was chosen, by stored epoch (`best`, `last`, …). */
  tags: Map<number, string[]>;
  /** Per epoch (from 1): JS divergence and effective patches of the slide. */
  series: SlideEpochPoint[];
  plot: PlotFigure;
}

/** One slide at every epoch (or at most `maxFrames`). */
export interface EpochStepFigure extends ChosenSlide {
  id: string;
  maps: SlideEpochHeatmaps;
  /** Epochs of the slide left out to keep the frames under `maxFrames`. */
  skipped: number;
}

/** The epoch figures of one run. */
export interface RunEpochFigures {
  slides: EpochSlideFigure[];
  step: EpochStepFigure | null;
}

/**
 * Small multiples for every slide of `heatmaps` and a stepped view of the
 * least stable one (the most stable when no slide is in the least group).
 *
 * @example
 * ```ts ignore
 * const heatmaps = await runHeatmaps(store, evaluation);
 * const { slides, step } = await runEpochFigures(store, evaluation, heatmaps.figures);
 * ```
 */
export async function runEpochFigures(
  store: Store,
  e: RunEvaluation,
  heatmaps: readonly ChosenSlide[],
  options: EpochFigureOptions = {},
): Promise<RunEpochFigures> {
  const maxFrames = options.maxFrames ?? 50;
  if (!(Number.isInteger(maxFrames) && maxFrames >= 2)) {
    throw new RangeError(
      `runEpochFigures() needs maxFrames to be an integer >= 2: current value is ${maxFrames}`,
    );
  }
  const run = e.run.id;
  const best = heatmaps.length > 0
    ? await chooseEpoch(store, run, "best", options.selectSplit ?? "val")
    : undefined;
  const common = {
    store,
    run,
    ...(options.epochScale ? { scale: options.epochScale } : {}),
    ...(options.open ? { open: options.open } : {}),
  };
  const slides: EpochSlideFigure[] = [];
  for (const h of heatmaps) {
    const rows = e.slideStability.filter((r) => r.slide === h.slide)
      .sort((a, b) => a.epoch - b.epoch);
    const epochs = rows.map((r) => r.epoch);
    const chosen = panelEpochs(epochs, {
      best,
      last: epochs.at(-1),
      reported: e.epoch,
    });
    const maps = await slideEpochHeatmaps({
      ...common,
      slide: h.slide,
      epochs: chosen.map((c) => c.epoch),
      maxSide: options.panelSide ?? 200,
    });
    const series = rows.map((r) => ({
      epoch: shownEpoch(r.epoch),
      jsDivergence: r.jsDivergence,
      effectivePatches: r.effectivePatches,
    }));
    const id = `${run}-${h.slide}-epochs`;
    slides.push({
      slide: h.slide,
      split: h.split,
      group: h.group,
      meanJsLastHalf: h.meanJsLastHalf,
      id,
      maps,
      tags: new Map(chosen.map((c) => [c.epoch, c.tags])),
      series,
      plot: {
        id: `${id}-plot`,
        title: `${h.slide}: JS divergence and effective patches per epoch`,
        svg: await renderSvg(
          slideEpochSpec(series, {
            marked: chosen.map((c) => shownEpoch(c.epoch)),
          }),
        ),
      },
    });
  }
  const stepped = heatmaps.find((h) => h.group === "least") ?? heatmaps[0];
  let step: EpochStepFigure | null = null;
  if (stepped) {
    const epochs = e.slideStability.filter((r) => r.slide === stepped.slide)
      .map((r) => r.epoch);
    const frames = spreadEpochs(epochs, maxFrames);
    step = {
      slide: stepped.slide,
      split: stepped.split,
      group: stepped.group,
      meanJsLastHalf: stepped.meanJsLastHalf,
      id: `${run}-${stepped.slide}-steps`,
      maps: await slideEpochHeatmaps({
        ...common,
        slide: stepped.slide,
        epochs: frames,
        maxSide: options.stepSide ?? 360,
      }),
      skipped: new Set(epochs).size - frames.length,
    };
  }
  return { slides, step };
}

/**
 * A panel's caption lines: the epoch as a person counts it (and why it was
 * chosen), the range of its attention values, its effective patches.
 *
 * @example
 * ```ts
 * import { panelCaption } from "./report_epochs.ts";
 * const lines = panelCaption(4, { min: 0.0021, max: 0.31, effectivePatches: 12.34 }, ["best"]);
 * if (lines.join(" | ") !== "epoch 5 (best) | attention 2.1e-3–0.31 | 12.3 effective patches") throw new Error(lines.join(" | "));
 * ```
 */
export function panelCaption(
  epoch: number,
  panel: { min: number; max: number; effectivePatches: number },
  tags: readonly string[] = [],
): [string, string, string] {
  return [
    `epoch ${shownEpoch(epoch)}${tags.length ? ` (${tags.join(", ")})` : ""}`,
    `attention ${formatAttention(panel.min)}–${formatAttention(panel.max)}`,
    `${panel.effectivePatches.toFixed(1)} effective patches`,
  ];
}

/**
 * The asset id of a small-multiple panel: the figure's id and the epoch as
 * a person counts it.
 *
 * @example
 * ```ts
 * import { epochPanelId } from "./report_epochs.ts";
 * if (epochPanelId("r-slide-01-epochs", 4) !== "r-slide-01-epochs-5") throw new Error();
 * ```
 */
export function epochPanelId(figureId: string, epoch: number): string {
  return `${figureId}-${shownEpoch(epoch)}`;
}
