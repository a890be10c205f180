/**
 * Slide artefacts painted over the finished RGB: an out-of-focus patch, dust
 * on the glass and a marker-pen stroke.
 *
 * @module
 */

import type { Rng } from "../../core/random.ts";
import type { RgbImage } from "../../core/types.ts";
import type { PenStroke, Rect } from "./slide_plan.ts";

function boxBlurRows(
  px: Uint8Array,
  step: number,
  start: number,
  length: number,
  lines: number,
  lineStep: number,
  radius: number,
): void {
  const line = new Float32Array(length * 3);
  for (let l = 0; l < lines; l++) {
    const base = start + l * lineStep;
    for (let k = 0; k < length; k++) {
      for (let c = 0; c < 3; c++) {
        line[k * 3 + c] = px[base + k * step + c] as number;
      }
    }
    for (let c = 0; c < 3; c++) {
      let sum = 0, n = 0;
      for (let k = -radius; k < length + radius; k++) {
        if (k + radius < length) {
          sum += line[(k + radius) * 3 + c] as number;
          n++;
        }
        if (k - radius - 1 >= 0) {
          sum -= line[(k - radius - 1) * 3 + c] as number;
          n--;
        }
        if (k >= 0 && k < length) px[base + k * step + c] = Math.round(sum / n);
      }
    }
  }
}

/** Blurs `rect` of `image` (two box-blur passes per axis ≈ Gaussian of `radius`). */
export function outOfFocus(image: RgbImage, rect: Rect, radius: number): void {
  const x0 = Math.max(0, rect.x), y0 = Math.max(0, rect.y);
  const x1 = Math.min(image.width, rect.x + rect.width);
  const y1 = Math.min(image.height, rect.y + rect.height);
  if (x1 <= x0 || y1 <= y0) return;
  const stride = image.width * 3;
  for (let pass = 0; pass < 2; pass++) {
    boxBlurRows(
      image.rgb,
      3,
      y0 * stride + x0 * 3,
      x1 - x0,
      y1 - y0,
      stride,
      radius,
    );
    boxBlurRows(
      image.rgb,
      stride,
      y0 * stride + x0 * 3,
      y1 - y0,
      x1 - x0,
      3,
      radius,
    );
  }
}

/** Small grey specks of dust, each `[x, y, radius]` in level-0 pixels. */
export function drawDust(
  image: RgbImage,
  dust: Array<[number, number, number]>,
): void {
  for (const [cx, cy, r] of dust) {
    for (
      let y = Math.max(0, Math.floor(cy - r));
      y < Math.min(image.height, cy + r);
      y++
    ) {
      for (
        let x = Math.max(0, Math.floor(cx - r));
        x < Math.min(image.width, cx + r);
        x++
      ) {
        if (Math.hypot(x - cx, y - cy) > r) continue;
        const o = (y * image.width + x) * 3;
        for (let c = 0; c < 3; c++) {
          image.rgb[o + c] = (image.rgb[o + c] as number) * 0.55;
        }
      }
    }
  }
}

/**
 * A marker stroke: ink multiplies the light that passes (darker over
 * tissue), with a soft edge and uneven, streaky coverage.
 */
export function drawPen(image: RgbImage, pen: PenStroke, rng: Rng): void {
  const half = pen.width / 2;
  const xs = pen.points.map((p) => p[0]), ys = pen.points.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - half - 2));
  const x1 = Math.min(image.width, Math.ceil(Math.max(...xs) + half + 2));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - half - 2));
  const y1 = Math.min(image.height, Math.ceil(Math.max(...ys) + half + 2));
  const w = x1 - x0;
  const cover = new Float32Array(w * Math.max(0, y1 - y0));
  for (let s = 0; s + 1 < pen.points.length; s++) {
    const [ax, ay] = pen.points[s]!, [bx, by] = pen.points[s + 1]!;
    const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy || 1;
    const sx0 = Math.max(x0, Math.floor(Math.min(ax, bx) - half - 2));
    const sx1 = Math.min(x1, Math.ceil(Math.max(ax, bx) + half + 2));
    const sy0 = Math.max(y0, Math.floor(Math.min(ay, by) - half - 2));
    const sy1 = Math.min(y1, Math.ceil(Math.max(ay, by) + half + 2));
    for (let y = sy0; y < sy1; y++) {
      for (let x = sx0; x < sx1; x++) {
        const t = Math.max(
          0,
          Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2),
        );
        const d = Math.hypot(x - ax - t * dx, y - ay - t * dy);
        const c = Math.max(0, Math.min(1, (half - d) / 2));
        const i = (y - y0) * w + (x - x0);
        if (c > (cover[i] as number)) cover[i] = c;
      }
    }
  }
  const streak = Array.from({ length: 64 }, () => rng.uniform(0.75, 1));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const c = cover[(y - y0) * w + (x - x0)] as number;
      if (c === 0) continue;
      const k = c * (streak[((x + y) >> 3) & 63] as number);
      const o = (y * image.width + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const t = 1 - k * (1 - pen.transmittance[ch]!);
        image.rgb[o + ch] = (image.rgb[o + ch] as number) * t;
      }
    }
  }
}
