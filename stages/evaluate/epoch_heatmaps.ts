/**
 * One slide's attention at several epochs of a run, drawn on one absolute
 * colour scale (over every epoch of the slide) so that the maps compare
 * colour for colour: the slide file is read once, each epoch becomes a
 * small palette PNG. Also which epochs to show: the first few, every
 * power-of-ten-ish step, the best and the last.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { SlideReader } from "../tile/slide_reader.ts";
import { openSlideBase } from "./_slide_base.ts";
import { shownEpoch } from "./_format.ts";
import { effectivePatches } from "./attention_measures.ts";
import {
  type AttentionScale,
  type AttentionScaleOptions,
  sharedAttentionScale,
} from "./attention_scale.ts";
import { renderValueHeatmap } from "./value_heatmap.ts";

/** An epoch chosen for display, with why (`best`, `last`, `reported`). */
export interface PanelEpoch {
  /** Stored epoch (from 0). */
  epoch: number;
  tags: string[];
}

/** Stored epochs 0, 1, 4, 9: epochs 1, 2, 5 and 10 as a person counts. */
export const PANEL_EPOCHS: readonly number[] = [0, 1, 4, 9];

/**
 * The epochs of a slide's small multiples: those of `wanted` (default
 * {@link PANEL_EPOCHS}) that exist, plus the tagged ones (`best`, `last`,
 * …) that exist, deduplicated and in order.
 *
 * @example
 * ```ts
 * import { panelEpochs } from "./epoch_heatmaps.ts";
 * const panels = panelEpochs([0, 1, 2, 3, 4, 5], { best: 3, last: 5 });
 * if (panels.map((p) => p.epoch).join() !== "0,1,3,4,5" || panels[2]!.tags[0] !== "best") throw new Error();
 * ```
 */
export function panelEpochs(
  available: readonly number[],
  tagged: Readonly<Record<string, number | undefined>> = {},
  wanted: readonly number[] = PANEL_EPOCHS,
): PanelEpoch[] {
  const have = new Set(available);
  const byEpoch = new Map<number, string[]>();
  for (const e of wanted) if (have.has(e)) byEpoch.set(e, []);
  for (const [tag, e] of Object.entries(tagged)) {
    if (e === undefined || !have.has(e)) continue;
    byEpoch.set(e, [...(byEpoch.get(e) ?? []), tag]);
  }
  return [...byEpoch].sort((a, b) => a[0] - b[0]).map(([epoch, tags]) => ({
    epoch,
    tags,
  }));
}

/**
 * At most `max` of `epochs` (sorted), evenly spread, keeping the first and
 * the last: the frames of a stepped view of a long run.
 *
 * @example
 * ```ts
 * import { spreadEpochs } from "./epoch_heatmaps.ts";
 * if (spreadEpochs([0, 1, 2, 3, 4, 5, 6, 7, 8], 3).join() !== "0,4,8") throw new Error();
 * ```
 */
export function spreadEpochs(epochs: readonly number[], max: number): number[] {
  if (!(Number.isInteger(max) && max >= 2)) {
    throw new RangeError(
      `spreadEpochs() needs max to be an integer >= 2: current value is ${max}`,
    );
  }
  const sorted = [...new Set(epochs)].sort((a, b) => a - b);
  if (sorted.length <= max) return sorted;
  const step = (sorted.length - 1) / (max - 1);
  return [
    ...new Set(
      Array.from({ length: max }, (_, i) => sorted[Math.round(i * step)]!),
    ),
  ];
}

/** One epoch's map. */
export interface EpochPanel {
  /** Stored epoch (from 0). */
  epoch: number;
  png: Uint8Array;
  /** Smallest and largest attention value at this epoch. */
  min: number;
  max: number;
  /** exp of the entropy of the attention at this epoch. */
  effectivePatches: number;
}

function extent(scores: readonly number[]): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (const v of scores) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Options of {@link slideEpochHeatmaps}. */
export interface SlideEpochHeatmapsOptions {
  store: Store;
  run: string;
  slide: string;
  /** Stored epochs to draw (default: every epoch of the slide). */
  epochs?: readonly number[];
  /** Longest side of each map in pixels (default 240). */
  maxSide?: number;
  /** The colour scale, computed over every epoch of the slide (default log, 4 decades). */
  scale?: AttentionScaleOptions;
  /** Colours per PNG palette (default 256; 0: full colour). */
  paletteColours?: number;
  /** Opens the slide file (default `openSlide`). */
  open?: (path: string) => SlideReader;
}

/** What {@link slideEpochHeatmaps} drew. */
export interface SlideEpochHeatmaps {
  slide: string;
  /** Tiles of the slide (the length of every attention distribution). */
  tiles: number;
  /** Shared by every panel: spans every epoch of the slide, drawn or not. */
  scale: AttentionScale;
  /** Every stored epoch of the slide in this run. */
  epochs: number[];
  panels: EpochPanel[];
  width: number;
  height: number;
  background: "slide" | "blank";
  outline: "mask" | "tiles" | null;
  /** Why the slide file was not used, when it was not. */
  note?: string;
}

/**
 * Draws `slide`'s attention at `epochs` of `run` on one colour scale (see
 * the module doc). Throws when the slide has no attention in the run, when
 * an asked epoch is missing, or when tile counts differ from the attention.
 *
 * @example
 * ```ts ignore
 * const maps = await slideEpochHeatmaps({ store, run: "run-1", slide: "slide-03", epochs: [0, 4, 19] });
 * for (const p of maps.panels) await Deno.writeFile(`epoch-${p.epoch + 1}.png`, p.png);
 * ```
 */
export async function slideEpochHeatmaps(
  options: SlideEpochHeatmapsOptions,
): Promise<SlideEpochHeatmaps> {
  const { store, run, slide } = options;
  const rows = await store.attentionSnapshots(run, { slide });
  if (rows.length === 0) {
    throw new Error(
      `Cannot draw slide "${slide}" over epochs: expected attention for run "${run}", found none`,
    );
  }
  const epochs = rows.map((r) => r.epoch);
  const wanted = options.epochs ?? epochs;
  const missing = wanted.filter((e) => !epochs.includes(e));
  if (missing.length > 0) {
    throw new RangeError(
      `Cannot draw slide "${slide}" of run "${run}" at epochs ${
        missing.map(shownEpoch).join(", ")
      }: it has attention for epochs ${shownEpoch(epochs[0]!)}…${
        shownEpoch(epochs.at(-1)!)
      } (epochs counted from 1; stored from 0)`,
    );
  }
  const scale = sharedAttentionScale(rows.map((r) => r.scores), options.scale);
  const { tiles, base, background, tumour, outline, reader, note } =
    await openSlideBase({
      store,
      run,
      slide,
      maxSide: options.maxSide ?? 240,
      ...(options.open ? { open: options.open } : {}),
    });
  reader?.close();
  const panels: EpochPanel[] = [];
  for (const epoch of wanted) {
    const { scores } = rows.find((r) => r.epoch === epoch)!;
    if (scores.length !== tiles.length) {
      throw new Error(
        `Cannot draw slide "${slide}" at epoch ${
          shownEpoch(epoch)
        } (stored epoch ${epoch}): its attention in run "${run}" has ${scores.length} entries but the run's bag of it has ${tiles.length} tiles`,
      );
    }
    panels.push({
      epoch,
      png: await renderValueHeatmap(base, tiles, scores, scale, {
        ...(tumour ? { tumour } : {}),
        ...(options.paletteColours === undefined
          ? {}
          : { paletteColours: options.paletteColours }),
      }),
      ...extent(scores),
      effectivePatches: effectivePatches(scores),
    });
  }
  return {
    slide,
    tiles: tiles.length,
    scale,
    epochs,
    panels,
    width: base.width,
    height: base.height,
    background,
    outline,
    ...(note === undefined ? {} : { note }),
  };
}
