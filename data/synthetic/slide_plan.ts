/**
 * The layout of one synthetic slide at a coarse scale: where the tissue
 * islands, their holes, the tumour and lymphocyte aggregates lie, the slide's
 * stain, and its artefacts (pen mark, blurred patch, dust). The painter turns
 * a plan into level-0 pixels; the plan's tumour mask is the ground truth.
 *
 * @module
 */

import { Rng } from "../../core/random.ts";
import { fractalNoise } from "./_noise.ts";

/** Level-0 pixels per coarse plan pixel. */
export const PLAN_SCALE = 8;

/** What to put on a slide. */
export interface SlidePlanOptions {
  /** Level-0 width and height in pixels (multiples of 512). */
  width: number;
  height: number;
  /** Whether the slide holds tumour (a positive slide). */
  positive: boolean;
  /** Tumour area as a fraction of tissue area, default drawn from [0.005, 0.1]. */
  tumourFraction?: number;
  /** Number of tissue islands (default 1–4; 0 makes an all-glass slide). */
  islands?: number;
  /**
   * How atypical the tumour looks, 0–1 (default drawn from [0.35, 1]): low
   * grades are close to benign epithelial nests, high grades are large,
   * dark, crowded nuclei. 0 on negative slides.
   */
  tumourGrade?: number;
  /** Draw a pen mark (default: 30 % of slides). */
  pen?: boolean;
  /** Blur a patch as if out of focus (default: 40 % of slides). */
  blur?: boolean;
}

/** A pen stroke in level-0 pixels. */
export interface PenStroke {
  points: Array<[number, number]>;
  /** Stroke width in level-0 pixels. */
  width: number;
  /** Ink colour name and per-channel transmittance (0 = opaque ink). */
  colour: "green" | "blue" | "black";
  transmittance: [number, number, number];
}

/** A level-0 rectangle. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Per-slide stain: strengths and optical density of the glass. */
export interface Stain {
  haematoxylin: number;
  eosin: number;
  /** Small rotation of the stain colours, in optical-density units. */
  hueShift: number;
  glassDensity: number;
}

/** The coarse layout of one slide. */
export interface SlidePlan
  extends Required<Omit<SlidePlanOptions, "pen" | "blur">> {
  coarseWidth: number;
  coarseHeight: number;
  /** Tissue (255) vs glass (0), coarse. */
  tissue: Uint8Array;
  /** Tumour (255), coarse, always inside tissue. */
  tumour: Uint8Array;
  /** Lymphocyte aggregates (255), coarse: dense dark nuclei that are not tumour. */
  lymphoid: Uint8Array;
  /** Benign epithelial nests (255), coarse: crowded round nuclei that are not tumour. */
  epithelium: Uint8Array;
  stain: Stain;
  pen: PenStroke | undefined;
  blur: (Rect & { radius: number }) | undefined;
  /** Dust specks on the glass: centre and radius in level-0 pixels. */
  dust: Array<[number, number, number]>;
  /** Achieved tissue area over slide area. */
  tissueArea: number;
}

function blob(
  out: Uint8Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  radius: number,
  rng: Rng,
  rough: Float32Array,
  within?: Uint8Array,
): void {
  const harmonics = Array.from({ length: 6 }, (_, k) => ({
    k: k + 2,
    a: rng.uniform(0, 0.22) / (1 + k * 0.5),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  const stretch = rng.uniform(0.6, 1.4);
  const angle = rng.uniform(0, Math.PI);
  const cos = Math.cos(angle), sin = Math.sin(angle);
  const reach = Math.ceil(radius * 2.2);
  for (
    let y = Math.max(0, Math.floor(cy - reach));
    y < Math.min(h, cy + reach);
    y++
  ) {
    for (
      let x = Math.max(0, Math.floor(cx - reach));
      x < Math.min(w, cx + reach);
      x++
    ) {
      const i = y * w + x;
      if (within && within[i] === 0) continue;
      const dx = x - cx, dy = y - cy;
      const u = (dx * cos + dy * sin) / stretch;
      const v = (-dx * sin + dy * cos) * stretch;
      const theta = Math.atan2(v, u);
      let r = 1;
      for (const { k, a, phase } of harmonics) {
        r += a * Math.sin(k * theta + phase);
      }
      r += 0.45 * ((rough[i] as number) - 0.5);
      if (Math.hypot(u, v) < radius * r) out[i] = 255;
    }
  }
}

function count(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) if (v) n++;
  return n;
}

/**
 * Lays out one slide deterministically from `seed`.
 *
 * @example
 * ```ts
 * import { planSlide } from "./slide_plan.ts";
 * const plan = planSlide({ width: 2048, height: 2048, positive: true }, 7);
 * if (plan.tumourFraction <= 0) throw new Error("a positive slide has tumour");
 * ```
 */
export function planSlide(options: SlidePlanOptions, seed: number): SlidePlan {
  const { width, height, positive } = options;
  if (width % 512 !== 0 || height % 512 !== 0 || width <= 0 || height <= 0) {
    throw new RangeError(
      `Cannot plan a synthetic slide: width and height must be positive multiples of 512, got ${width}×${height}`,
    );
  }
  const rng = new Rng(seed);
  const cw = width / PLAN_SCALE, ch = height / PLAN_SCALE;
  const rough = fractalNoise(cw, ch, 24, 3, rng.fork());
  const tissue = new Uint8Array(cw * ch);
  const islands = options.islands ?? 1 + rng.int(4);
  const minSide = Math.min(cw, ch);
  for (let k = 0; k < islands; k++) {
    const radius = minSide * rng.uniform(0.3, 0.4) /
      Math.sqrt(Math.max(1, islands) / 1.5);
    const cx = rng.uniform(radius * 1.2, cw - radius * 1.2);
    const cy = rng.uniform(radius * 1.2, ch - radius * 1.2);
    blob(tissue, cw, ch, cx, cy, radius, rng.fork(), rough);
  }
  // Tears and lumens: blank holes inside the tissue.
  const holes = fractalNoise(cw, ch, 10, 2, rng.fork());
  const holeLevel = rng.uniform(0.7, 0.78);
  for (let i = 0; i < tissue.length; i++) {
    if ((holes[i] as number) > holeLevel) tissue[i] = 0;
  }
  const tissueCount = count(tissue);
  const inside: number[] = [];
  for (let i = 0; i < tissue.length; i++) if (tissue[i]) inside.push(i);
  const pick = () => inside[rng.int(inside.length)] as number;

  const tumour = new Uint8Array(cw * ch);
  let tumourFraction = 0;
  if (positive && tissueCount > 0) {
    const target = options.tumourFraction ??
      Math.exp(rng.uniform(Math.log(0.005), Math.log(0.1)));
    const centres = Array.from({ length: 1 + rng.int(2) }, () => pick());
    let scale = 1;
    for (let attempt = 0; attempt < 4; attempt++) {
      tumour.fill(0);
      const blobRng = new Rng(seed ^ 0x5eed);
      for (const c of centres) {
        const r = scale *
          Math.sqrt(target * tissueCount / centres.length / Math.PI);
        blob(
          tumour,
          cw,
          ch,
          c % cw,
          Math.floor(c / cw),
          r,
          blobRng.fork(),
          rough,
          tissue,
        );
      }
      tumourFraction = count(tumour) / tissueCount;
      if (tumourFraction === 0) scale *= 1.5;
      else scale *= Math.sqrt(target / tumourFraction);
      if (Math.abs(tumourFraction - target) / target < 0.15) break;
    }
  }
  const lymphoid = new Uint8Array(cw * ch);
  if (tissueCount > 0 && rng.next() < 0.6) {
    for (let k = 0, n = 1 + rng.int(3); k < n; k++) {
      const c = pick();
      blob(
        lymphoid,
        cw,
        ch,
        c % cw,
        Math.floor(c / cw),
        rng.uniform(4, 9),
        rng.fork(),
        rough,
        tissue,
      );
    }
  }
  const epithelium = new Uint8Array(cw * ch);
  if (tissueCount > 0) {
    for (let k = 0, n = 1 + rng.int(5); k < n; k++) {
      const c = pick();
      const radius = rng.uniform(5, 14);
      blob(
        epithelium,
        cw,
        ch,
        c % cw,
        Math.floor(c / cw),
        radius,
        rng.fork(),
        rough,
        tissue,
      );
    }
    for (let i = 0; i < epithelium.length; i++) {
      if (tumour[i] || lymphoid[i]) epithelium[i] = 0;
    }
  }
  const tumourGrade = tumourFraction > 0
    ? options.tumourGrade ?? rng.uniform(0.35, 1)
    : 0;
  return {
    width,
    height,
    positive,
    tumourFraction,
    tumourGrade,
    islands,
    coarseWidth: cw,
    coarseHeight: ch,
    tissue,
    tumour,
    lymphoid,
    epithelium,
    stain: {
      haematoxylin: rng.uniform(0.65, 1.35),
      eosin: rng.uniform(0.55, 1.3),
      hueShift: rng.uniform(-0.08, 0.08),
      glassDensity: rng.uniform(0.01, 0.045),
    },
    pen: (options.pen ?? rng.next() < 0.3)
      ? penStroke(width, height, rng.fork())
      : undefined,
    blur: (options.blur ?? rng.next() < 0.4) && tissueCount > 0
      ? blurPatch(pick(), cw, Math.min(width, height), rng.fork())
      : undefined,
    dust: Array.from({ length: 5 + rng.int(20) }, () => [
      rng.uniform(0, width),
      rng.uniform(0, height),
      rng.uniform(2, 7),
    ]),
    tissueArea: tissueCount / (cw * ch),
  };
}

function penStroke(width: number, height: number, rng: Rng): PenStroke {
  const inks: Array<Pick<PenStroke, "colour" | "transmittance">> = [
    { colour: "green", transmittance: [0.25, 0.62, 0.35] },
    { colour: "blue", transmittance: [0.18, 0.3, 0.72] },
    { colour: "black", transmittance: [0.14, 0.14, 0.17] },
  ];
  const ink = inks[rng.int(inks.length)] as (typeof inks)[number];
  // A stroke near one edge of the slide, as pathologists circle or tick.
  const horizontal = rng.next() < 0.5;
  const along = horizontal ? width : height;
  const across = horizontal ? height : width;
  const at = rng.next() < 0.5
    ? rng.uniform(0.04, 0.12)
    : rng.uniform(0.88, 0.96);
  const points: Array<[number, number]> = [];
  for (let k = 0; k <= 8; k++) {
    const s = along * (0.15 + 0.7 * k / 8);
    const t = across * at + across * 0.02 * Math.sin(k + rng.uniform(0, 1));
    points.push(horizontal ? [s, t] : [t, s]);
  }
  return { points, width: rng.uniform(30, 70), ...ink };
}

function blurPatch(
  centre: number,
  cw: number,
  minSide: number,
  rng: Rng,
): Rect & { radius: number } {
  // 400–900 px on a 4608 px slide: in proportion, so a small slide is not
  // mostly out of focus.
  const size = Math.round(minSide * rng.uniform(400, 900) / 4608);
  const x = Math.max(0, Math.round((centre % cw) * PLAN_SCALE - size / 2));
  const y = Math.max(
    0,
    Math.round(Math.floor(centre / cw) * PLAN_SCALE - size / 2),
  );
  return {
    x,
    y,
    width: size,
    height: size,
    radius: Math.round(rng.uniform(3, 7)),
  };
}
