/**
 * HTML of the report's attention-over-epochs figures: per slide a row of
 * small multiples with a shared colour legend beside its per-epoch plot,
 * and a stepped view of one slide (a range slider and a play button that
 * switch which epoch's map is shown; a few lines of inline script, no
 * network). Without script the first epoch's map shows.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { escapeHtml, fileSafe, shownEpoch, small } from "./_format.ts";
import { scopeSvgIds } from "./_svg_ids.ts";
import {
  type AttentionScale,
  formatAttention,
  scaleLegendSvg,
} from "./attention_scale.ts";
import type { SlideEpochHeatmaps } from "./epoch_heatmaps.ts";
import {
  type EpochSlideFigure,
  type EpochStepFigure,
  panelCaption,
} from "./report_epochs.ts";

/** Styles of these figures, added to the page's. */
export const EPOCH_STYLE = `
.epoch-slide{margin:1.2rem 0}.epoch-row{display:flex;gap:1rem;align-items:flex-start}
.epoch-maps{flex:1}.epoch-panels{display:flex;flex-wrap:wrap;gap:.5rem}
figure.epoch-panel{margin:0}.epoch-panel img,.frame img{display:block;border:1px solid #ccc}
.epoch-panel figcaption,.frame figcaption{font-size:.8rem;line-height:1.25}
.scale-legend-box{margin-top:.6rem}.scale-note{font-size:.85rem;color:#444;max-width:900px;margin:.3rem 0}
.stepper-controls{display:flex;gap:.6rem;align-items:center;margin:.4rem 0}.stepper-controls input{width:320px}
figure.frame{margin:0}figure.frame[hidden]{display:none}
`;

/** Switches a stepper's frame on slider input; the play button steps every 0.6 s. */
export const STEPPER_SCRIPT = `<script>
for (const s of document.querySelectorAll("[data-stepper]")) {
  const frames = [...s.querySelectorAll(".frame")];
  const slider = s.querySelector("input[type=range]");
  const play = s.querySelector("button");
  const show = (i) => {
    frames.forEach((f, j) => { f.hidden = j !== i; });
    slider.value = String(i);
  };
  slider.addEventListener("input", () => show(Number(slider.value)));
  let timer = null;
  play.addEventListener("click", () => {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
      play.textContent = "▶ play";
      return;
    }
    play.textContent = "❚❚ pause";
    timer = setInterval(() => show((Number(slider.value) + 1) % frames.length), 600);
  });
}
</script>`;

function dataUri(bytes: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
}

/** What the colours of a slide's maps mean, in words, with the range. */
export function scaleNote(scale: AttentionScale, tiles: number): string {
  const range = `${formatAttention(scale.min)} to ${
    formatAttention(scale.max)
  }`;
  const clipped = scale.clipped
    ? ` (smaller values take the lowest colour, marked ≤)`
    : "";
  return `Colour: the attention value of each tile on a ${scale.kind} scale from ${range}${clipped}, one scale for every epoch of this slide, so a colour means the same attention in every panel. ▼ on the bar marks uniform attention, 1/N for its N = ${tiles} tiles: colours right of it mean more than an even share.`;
}

function legend(maps: SlideEpochHeatmaps, id: string): string {
  return `<div class="scale-legend-box">${
    scaleLegendSvg(maps.scale, {
      id: fileSafe(id),
      uniform: 1 / maps.tiles,
    })
  }<p class="scale-note">${escapeHtml(scaleNote(maps.scale, maps.tiles))}${
    maps.note
      ? ` <span class="muted">(no slide image: ${escapeHtml(maps.note)})</span>`
      : ""
  }</p></div>`;
}

function why(f: { group: "most" | "least"; meanJsLastHalf: number }) {
  return `${f.group} stable: mean JS over the last half ${
    small(f.meanJsLastHalf)
  }`;
}

function slideFigure(f: EpochSlideFigure): string {
  const panels = f.maps.panels.map((p) => {
    const lines = panelCaption(p.epoch, p, f.tags.get(p.epoch) ?? []);
    return `<figure class="epoch-panel" data-epoch="${
      shownEpoch(p.epoch)
    }"><img alt="attention of ${escapeHtml(f.slide)} at ${
      escapeHtml(lines[0])
    }" width="${f.maps.width}" height="${f.maps.height}" src="${
      dataUri(p.png)
    }"><figcaption>${lines.map(escapeHtml).join("<br>")}</figcaption></figure>`;
  }).join("");
  return `<div class="epoch-slide" id="${fileSafe(f.id)}">
<h4>${escapeHtml(f.slide)} (${escapeHtml(f.split ?? "no split")}), ${
    escapeHtml(why(f))
  }</h4>
<div class="epoch-row"><div class="epoch-maps"><div class="epoch-panels">${panels}</div>
${legend(f.maps, f.id)}</div>
<figure class="plot slide-epoch-plot">${
    scopeSvgIds(f.plot.svg, fileSafe(f.plot.id))
  }<figcaption>${
    escapeHtml(
      `${f.slide} per epoch; red dots: the epochs drawn.`,
    )
  }</figcaption></figure></div>
</div>`;
}

/**
 * Small multiples of every slide in `figures` (see {@link EpochSlideFigure}).
 *
 * @example
 * ```ts ignore
 * const html = epochSlidesHtml((await runEpochFigures(store, evaluation, chosen)).slides);
 * ```
 */
export function epochSlidesHtml(figures: readonly EpochSlideFigure[]): string {
  if (figures.length === 0) return "";
  return `<h3>Attention over epochs: most and least stable slides</h3>
<p class="muted">Each slide at a few epochs (1, 2, 5, 10, the best, the last: those the run has), coloured by attention value on one scale per slide; the heatmaps above colour by rank within one epoch instead. Beside them the slide's JS divergence to the previous epoch and effective patches exp(H) at every epoch.</p>
${figures.map(slideFigure).join("\n")}`;
}

/**
 * The stepped view of one slide: a slider (and play button) over its maps
 * at every epoch, the first shown.
 *
 * @example
 * ```ts ignore
 * const html = epochStepHtml(figures.step) + STEPPER_SCRIPT;
 * ```
 */
export function epochStepHtml(step: EpochStepFigure | null): string {
  if (step === null || step.maps.panels.length === 0) return "";
  const n = step.maps.panels.length;
  const frames = step.maps.panels.map((p, i) =>
    `<figure class="frame" data-epoch="${shownEpoch(p.epoch)}"${
      i === 0 ? "" : " hidden"
    }><img alt="attention of ${escapeHtml(step.slide)} at epoch ${
      shownEpoch(p.epoch)
    }" width="${step.maps.width}" height="${step.maps.height}" src="${
      dataUri(p.png)
    }"><figcaption>${
      panelCaption(p.epoch, p).map(escapeHtml).join(" · ")
    }</figcaption></figure>`
  ).join("\n");
  const thinned = step.skipped > 0
    ? ` ${n} of its ${
      n + step.skipped
    } epochs, evenly spread, keep the page small.`
    : "";
  return `<h3>Attention across every epoch: ${escapeHtml(step.slide)}</h3>
<div class="stepper" id="${fileSafe(step.id)}" data-stepper>
<p class="muted">${escapeHtml(step.slide)} (${
    escapeHtml(step.split ?? "no split")
  }), ${
    escapeHtml(why(step))
  }. Move the slider (or press play) to step through the epochs.${thinned}</p>
<div class="stepper-controls"><button type="button">▶ play</button><input type="range" min="0" max="${
    n - 1
  }" value="0" step="1" aria-label="epoch of ${
    escapeHtml(step.slide)
  }"><span class="muted">epochs ${shownEpoch(step.maps.panels[0]!.epoch)}–${
    shownEpoch(step.maps.panels[n - 1]!.epoch)
  }</span></div>
<div class="frames">
${frames}
</div>
${legend(step.maps, step.id)}
</div>`;
}
