/**
 * An absolute colour scale for attention values, shared by several heatmaps
 * (one slide at several epochs) so that a colour means the same attention
 * in every panel; and its legend as SVG. Attention is a distribution over a
 * slide's tiles whose values span orders of magnitude (1/N when uniform,
 * close to 1 on a focal tile), so the default scale is logarithmic over at
 * most a few decades below the largest value; smaller values take the
 * lowest colour and the legend says so.
 *
 * @module
 */

import type { Distribution } from "./attention_measures.ts";
import { attentionColour, gradientStops } from "./colour_map.ts";

/** A colour scale over attention values. */
export interface AttentionScale {
  kind: "log" | "linear";
  /** Value of the lowest colour; smaller values are drawn with it. */
  min: number;
  /** Value of the highest colour: the largest value shown. */
  max: number;
  /** True when some value lies below `min` (drawn as `min`). */
  clipped: boolean;
}

/** Options of {@link sharedAttentionScale}. */
export interface AttentionScaleOptions {
  /** Default `"log"`. */
  kind?: "log" | "linear";
  /** Decades a log scale spans at most below its largest value (default 4). */
  decades?: number;
}

/**
 * One scale over every value of `distributions`: from the smallest value
 * (log; at most `decades` below the largest) or from 0 (linear) to the
 * largest value.
 *
 * @example
 * ```ts
 * import { sharedAttentionScale } from "./attention_scale.ts";
 * const scale = sharedAttentionScale([[0.25, 0.25, 0.25, 0.25], [0.97, 0.01, 0.01, 0.01]]);
 * if (scale.min !== 0.01 || scale.max !== 0.97 || scale.clipped) throw new Error();
 * ```
 */
export function sharedAttentionScale(
  distributions: readonly Distribution[],
  options: AttentionScaleOptions = {},
): AttentionScale {
  const kind = options.kind ?? "log";
  const decades = options.decades ?? 4;
  if (!(decades > 0)) {
    throw new RangeError(
      `sharedAttentionScale() needs decades > 0: current value is ${decades}`,
    );
  }
  let lo = Infinity, hi = -Infinity;
  for (const d of distributions) {
    for (const v of d) {
      if (!Number.isFinite(v)) continue;
      if (v > hi) hi = v;
      if (v > 0 && v < lo) lo = v;
    }
  }
  if (!(hi > 0)) return { kind, min: 0, max: 1, clipped: false };
  if (kind === "linear") return { kind, min: 0, max: hi, clipped: false };
  const floor = hi / 10 ** decades;
  // Equal values everywhere (all uniform): one decade below keeps them visible.
  const min = lo >= hi ? hi / 10 : Math.max(lo, floor);
  const clipped = distributions.some((d) =>
    d.some((v) => Number.isFinite(v) && v < min)
  );
  return { kind, min, max: hi, clipped };
}

/**
 * Where `value` sits on `scale`, in [0, 1] (clamped).
 *
 * @example
 * ```ts
 * import { scalePosition } from "./attention_scale.ts";
 * const scale = { kind: "log" as const, min: 0.001, max: 0.1, clipped: false };
 * if (Math.abs(scalePosition(scale, 0.01) - 0.5) > 1e-12) throw new Error();
 * ```
 */
export function scalePosition(scale: AttentionScale, value: number): number {
  if (!Number.isFinite(value)) return 0;
  const t = scale.kind === "linear"
    ? (value - scale.min) / (scale.max - scale.min)
    : value <= 0
    ? 0
    : Math.log(value / scale.min) / Math.log(scale.max / scale.min);
  return Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1));
}

/** The ramp colour of `value` on `scale`. */
export function scaleColour(
  scale: AttentionScale,
  value: number,
): [number, number, number] {
  return attentionColour(scalePosition(scale, value));
}

/**
 * An attention value as printed: two significant digits, in exponent
 * notation below 0.01.
 *
 * @example
 * ```ts
 * import { formatAttention } from "./attention_scale.ts";
 * if (formatAttention(0.4231) !== "0.42" || formatAttention(0.000312) !== "3.1e-4") throw new Error();
 * ```
 */
export function formatAttention(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  return Math.abs(value) < 0.01 ? value.toExponential(1) : value.toPrecision(2);
}

/** A labelled value on the scale. */
export interface ScaleTick {
  value: number;
  /** In [0, 1] along the scale. */
  position: number;
  label: string;
}

/** The scale's ends and, on a log scale, the powers of ten between them. */
export function scaleTicks(scale: AttentionScale): ScaleTick[] {
  const tick = (value: number) => ({
    value,
    position: scalePosition(scale, value),
    label: formatAttention(value),
  });
  const ends = [tick(scale.min), tick(scale.max)];
  const inner: ScaleTick[] = [];
  if (scale.kind === "log" && scale.min > 0) {
    for (
      let k = Math.ceil(Math.log10(scale.min));
      k <= Math.floor(Math.log10(scale.max));
      k++
    ) inner.push(tick(10 ** k));
  } else inner.push(tick((scale.min + scale.max) / 2));
  // Labels closer than a tenth of the bar to an end would overlap it.
  return [
    ends[0]!,
    ...inner.filter((t) => t.position > 0.1 && t.position < 0.9),
    ends[1]!,
  ];
}

/** Options of {@link scaleLegendSvg}. */
export interface ScaleLegendOptions {
  /** Width of the legend in pixels (default 420). */
  width?: number;
  /** Marks this value on the bar (e.g. `1/N`, the uniform attention). */
  uniform?: number;
  /** Unique on the page: prefixes the gradient's id. */
  id?: string;
}

/**
 * The legend of `scale` as an SVG element: the colour bar with its range
 * and ticks (the lowest marked `≤` when values below it were clipped), and
 * optionally the uniform value; the page says in words what it shows.
 *
 * @example
 * ```ts
 * import { scaleLegendSvg } from "./attention_scale.ts";
 * const svg = scaleLegendSvg({ kind: "log", min: 1e-4, max: 0.3, clipped: true }, { uniform: 1 / 64 });
 * if (!svg.includes("1.0e-4") || !svg.includes("uniform")) throw new Error();
 * ```
 */
export function scaleLegendSvg(
  scale: AttentionScale,
  options: ScaleLegendOptions = {},
): string {
  const width = options.width ?? 420, pad = 24, barY = 20, barH = 12;
  const barW = width - 2 * pad;
  const id = `${options.id ?? "scale"}-gradient`;
  const x = (p: number) => (pad + p * barW).toFixed(1);
  const text = (tx: string, ty: number, s: string, anchor = "middle") =>
    `<text x="${tx}" y="${ty}" font-size="11" font-family="sans-serif" text-anchor="${anchor}">${s}</text>`;
  const ticks = scaleTicks(scale).map((t) =>
    `<line x1="${x(t.position)}" x2="${x(t.position)}" y1="${
      barY + barH
    }" y2="${barY + barH + 4}" stroke="#333"/>` +
    text(
      x(t.position),
      barY + barH + 16,
      t.position === 0 && scale.clipped ? `≤ ${t.label}` : t.label,
    )
  ).join("");
  const u = options.uniform;
  const uniform = u !== undefined && u > 0
    ? (() => {
      const p = scalePosition(scale, u);
      return `<path d="M${x(p)},${barY - 1} l-4,-6 h8 z" fill="#222"/>` +
        text(
          x(p),
          barY - 9,
          `uniform 1/N = ${formatAttention(u)}`,
          p < 0.2 ? "start" : p > 0.8 ? "end" : "middle",
        );
    })()
    : "";
  const title = `attention value (${scale.kind} scale)`;
  const height = barY + barH + 22;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="scale-legend" width="${width}" height="${height}" role="img" aria-label="${title} from ${
    formatAttention(scale.min)
  } to ${formatAttention(scale.max)}">
<defs><linearGradient id="${id}" x1="0" y1="0" x2="1" y2="0">${gradientStops()}</linearGradient></defs>
<rect x="${pad}" y="${barY}" width="${barW}" height="${barH}" fill="url(#${id})" stroke="#333" stroke-width="0.5"/>
${uniform}${ticks}
</svg>`;
}
