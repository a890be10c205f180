/**
 * Paints a {@link SlidePlan} into level-0 RGB pixels that look like an H&E
 * section: pink stroma with fibre texture, purple nuclei, white glass. The
 * coarse layers are upsampled natively by sharp; nuclei are stamped at full
 * resolution; colour comes from a per-slide Beer–Lambert lookup table.
 *
 * @module
 */

import sharp from "sharp";
import { Rng } from "../../core/random.ts";
import type { RgbImage } from "../../core/types.ts";
import { fractalNoise } from "./_noise.ts";
import {
  benignNucleus,
  type DensityMap,
  fibroblast,
  lymphocyte,
  stampNucleus,
  tumourCytoplasm,
  tumourNucleus,
} from "./_nuclei.ts";
import { drawDust, drawPen, outOfFocus } from "./_artefacts.ts";
import { PLAN_SCALE, type SlidePlan, type Stain } from "./slide_plan.ts";

const HAEMATOXYLIN = [0.65, 0.7, 0.29];
const EOSIN = [0.1, 0.95, 0.2];

/** RGB for every (haematoxylin, eosin) density pair, 256 × 256 × 3. */
function stainTable(stain: Stain): Uint8Array {
  const h = [
    HAEMATOXYLIN[0]! + stain.hueShift,
    HAEMATOXYLIN[1]!,
    HAEMATOXYLIN[2]! - stain.hueShift,
  ];
  const e = [EOSIN[0]!, EOSIN[1]!, EOSIN[2]! + stain.hueShift];
  const lut = new Uint8Array(256 * 256 * 3);
  for (let hd = 0; hd < 256; hd++) {
    for (let ed = 0; ed < 256; ed++) {
      const o = (hd * 256 + ed) * 3;
      for (let c = 0; c < 3; c++) {
        const od = stain.glassDensity +
          0.95 * stain.haematoxylin * (hd / 255) * h[c]! +
          0.6 * stain.eosin * (ed / 255) * e[c]!;
        lut[o + c] = Math.round(255 * Math.pow(10, -od));
      }
    }
  }
  return lut;
}

/** A periodic fibre texture: wavy streaks at `angle`, `size` pixels square. */
function fibres(size: number, angle: number, rng: Rng): Uint8Array {
  const cycles = Math.round(size / rng.uniform(9, 14));
  const kx = Math.round(cycles * Math.cos(angle)),
    ky = Math.round(cycles * Math.sin(angle));
  const warp = fractalNoise(size, size, 64, 3, rng, true);
  const density = fractalNoise(size, size, 32, 2, rng, true);
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const phase = 2 * Math.PI * (kx * x + ky * y) / size +
        14 * (warp[i] as number);
      const s = 0.5 + 0.5 * Math.sin(phase);
      const d = Math.min(1, Math.max(0, 1.6 * (density[i] as number) - 0.2));
      out[i] = Math.round(255 * (0.35 + 0.65 * s * s) * d);
    }
  }
  return out;
}

/** A 3×3 mean of a coarse mask, so its upsampled outline is smooth. */
function softened(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0, n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          sum += mask[yy * w + xx] as number;
          n++;
        }
      }
      out[y * w + x] = Math.round(sum / n);
    }
  }
  return out;
}

async function upsample(
  layers: Uint8Array,
  plan: SlidePlan,
): Promise<Uint8Array> {
  const buf = await sharp(layers, {
    raw: { width: plan.coarseWidth, height: plan.coarseHeight, channels: 3 },
  })
    .resize(plan.width, plan.height, { fit: "fill", kernel: "cubic" })
    .raw()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function stampCells(
  plan: SlidePlan,
  map: DensityMap,
  angleAt: (i: number) => number,
  rng: Rng,
) {
  const { coarseWidth: cw, tissue, tumour, lymphoid, epithelium } = plan;
  const cellArea = PLAN_SCALE * PLAN_SCALE;
  const grade = plan.tumourGrade;
  const tumourDensity = cellArea / (300 / (0.5 + 0.5 * grade));
  for (let ci = 0; ci < tissue.length; ci++) {
    if (!tissue[ci]) continue;
    const bx = (ci % cw) * PLAN_SCALE, by = Math.floor(ci / cw) * PLAN_SCALE;
    const at = () =>
      [
        bx + rng.uniform(0, PLAN_SCALE),
        by + rng.uniform(0, PLAN_SCALE),
      ] as const;
    if (tumour[ci]) {
      if (rng.next() < tumourDensity) {
        const nucleus = tumourNucleus(...at(), rng, grade);
        stampNucleus(map, tumourCytoplasm(nucleus, rng), rng);
        stampNucleus(map, nucleus, rng);
      }
    } else if (epithelium[ci]) {
      if (rng.next() < cellArea / 420) {
        const nucleus = benignNucleus(...at(), rng);
        stampNucleus(map, {
          ...nucleus,
          rx: nucleus.rx * 2.2,
          ry: nucleus.ry * 2.2,
          darkness: 26,
        }, rng);
        stampNucleus(map, nucleus, rng);
      }
    } else if (lymphoid[ci]) {
      if (rng.next() < cellArea / 90) {
        stampNucleus(map, lymphocyte(...at(), rng), rng);
      }
    } else {
      if (rng.next() < cellArea / 1700) {
        const [x, y] = at();
        stampNucleus(map, fibroblast(x, y, angleAt(ci), rng), rng);
      }
      if (rng.next() < cellArea / 2600) {
        stampNucleus(map, benignNucleus(...at(), rng), rng);
      }
      if (rng.next() < cellArea / 9000) {
        stampNucleus(map, lymphocyte(...at(), rng), rng);
      }
    }
  }
}

/**
 * Paints `plan` at level 0.
 *
 * @example
 * ```ts
 * import { planSlide } from "./slide_plan.ts";
 * import { paintSlide } from "./slide_painter.ts";
 * const plan = planSlide({ width: 512, height: 512, positive: false, islands: 1 }, 1);
 * const image = await paintSlide(plan, 1);
 * if (image.rgb.length !== 512 * 512 * 3) throw new Error("RGB at level 0");
 * ```
 */
export async function paintSlide(
  plan: SlidePlan,
  seed: number,
): Promise<RgbImage> {
  const rng = new Rng(seed ^ 0x9a1e7);
  const { width, height, coarseWidth: cw, coarseHeight: ch } = plan;
  const eLow = fractalNoise(cw, ch, 20, 3, rng.fork());
  const mix = fractalNoise(cw, ch, 40, 2, rng.fork());
  const soft = softened(plan.tissue, cw, ch);
  const layers = new Uint8Array(cw * ch * 3);
  for (let i = 0; i < cw * ch; i++) {
    layers[i * 3] = soft[i] as number;
    layers[i * 3 + 1] = Math.round(255 * (eLow[i] as number));
    layers[i * 3 + 2] = Math.round(
      255 * Math.min(1, Math.max(0, ((mix[i] as number) - 0.3) * 2.5)),
    );
  }
  const up = await upsample(layers, plan);
  const a1 = rng.uniform(0, Math.PI), a2 = a1 + rng.uniform(0.6, 1.4);
  const tex1 = fibres(512, a1, rng.fork()), tex2 = fibres(384, a2, rng.fork());
  const map: DensityMap = {
    data: new Uint8Array(width * height),
    width,
    height,
  };
  stampCells(
    plan,
    map,
    (ci) => ((layers[ci * 3 + 2] as number) < 128 ? a1 : a2),
    rng.fork(),
  );

  const lut = stainTable(plan.stain);
  const glass: [number, number, number] = [lut[0]!, lut[1]!, lut[2]!];
  const eBase = rng.uniform(40, 75);
  // Clamped, so glass + noise never wraps around.
  const rgb = new Uint8ClampedArray(width * height * 3);
  let s = (rng.nextUint32() | 1) >>> 0;
  for (let y = 0, i = 0; y < height; y++) {
    const row1 = (y & 511) << 9, row2 = (y % 384) * 384;
    for (let x = 0; x < width; x++, i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const noise = (s & 7) - 3;
      const o = i * 3;
      // Sharpen the upsampled ramp into a crisp but smooth tissue border.
      const ramp = ((up[o] as number) - 128) * 4 + 128;
      const alpha = ramp < 0 ? 0 : ramp > 255 ? 255 : ramp;
      if (alpha < 3) {
        rgb[o] = glass[0] + noise;
        rgb[o + 1] = glass[1] + noise;
        rgb[o + 2] = glass[2] + noise;
        continue;
      }
      const b = up[o + 2] as number;
      const f = ((tex1[row1 | (x & 511)] as number) * (255 - b) +
        (tex2[row2 + (x % 384)] as number) * b) >> 8;
      const e = (alpha *
        (eBase + ((up[o + 1] as number) * 45 >> 8) + (f * 120 >> 8))) >> 8;
      const h = (alpha * (14 + (map.data[i] as number))) >> 8;
      const k = ((h > 255 ? 255 : h) * 256 + (e > 255 ? 255 : e)) * 3;
      rgb[o] = (lut[k] as number) + noise;
      rgb[o + 1] = (lut[k + 1] as number) + noise;
      rgb[o + 2] = (lut[k + 2] as number) + noise;
    }
  }
  const image = { rgb: new Uint8Array(rgb.buffer), width, height };
  if (plan.blur) outOfFocus(image, plan.blur, plan.blur.radius);
  drawDust(image, plan.dust);
  if (plan.pen) drawPen(image, plan.pen, rng.fork());
  return image;
}
