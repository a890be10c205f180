/**
 * The heatmap colour ramp: blue (low) through pale yellow to dark red
 * (high), interpolated linearly in RGB between five stops.
 *
 * @module
 */

/** Colour stops from 0 to 1, as [r, g, b]. */
export const ATTENTION_STOPS: readonly (readonly [number, number, number])[] = [
  [49, 54, 149],
  [116, 173, 209],
  [255, 255, 191],
  [244, 109, 67],
  [165, 0, 38],
];

/**
 * The colour of `t` ∈ [0, 1] (clamped) on the attention ramp.
 *
 * @example
 * ```ts
 * import { attentionColour } from "./colour_map.ts";
 * if (attentionColour(1).join() !== "165,0,38") throw new Error();
 * ```
 */
export function attentionColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) *
    (ATTENTION_STOPS.length - 1);
  const i = Math.min(Math.floor(x), ATTENTION_STOPS.length - 2);
  const f = x - i, a = ATTENTION_STOPS[i]!, b = ATTENTION_STOPS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [
    number,
    number,
    number,
  ];
}

/**
 * The ramp as SVG `<stop>` elements, low first, for a gradient running
 * from `(x1, y1)` (low) to `(x2, y2)` (high).
 */
export function gradientStops(): string {
  return ATTENTION_STOPS.map((c, i) =>
    `<stop offset="${i / (ATTENTION_STOPS.length - 1)}" stop-color="rgb(${
      c.join(",")
    })"/>`
  ).join("");
}
