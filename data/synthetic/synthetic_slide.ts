/**
 * Writes one synthetic slide: an Aperio-style tiled pyramidal TIFF (JPEG
 * tiles, `|AppMag = 20|MPP = 0.5`) plus its ground truth next to it.
 *
 * Ground-truth convention (read by the tile stage, see
 * `stages/tile/ground_truth.ts`): for a slide `<dir>/<id>.tiff`,
 * - `<dir>/<id>.tumour.png` is an 8-bit grey mask covering the whole level-0
 *   extent at a uniform scale (level-0 width ÷ mask width; 8 here); a value
 *   ≥ 128 marks tumour. Negative slides get an all-black mask.
 * - `<dir>/<id>.truth.json` holds {@link SyntheticSlideTruth}: the label, the
 *   tumour and tissue fractions, and where the artefacts are.
 *
 * @module
 */

import sharp from "sharp";
import { join } from "node:path";
import { paintSlide } from "./slide_painter.ts";
import { PLAN_SCALE, planSlide, type SlidePlanOptions } from "./slide_plan.ts";
import { withImageDescription } from "./image_description.ts";

/** What {@link writeSyntheticSlide} needs beyond the plan options. */
export interface SyntheticSlideOptions extends SlidePlanOptions {
  /** Slide identifier; the file stem. */
  id: string;
  /** Folder to write into (must exist). */
  dir: string;
  /** Seed of this slide. */
  seed: number;
  /** Microns per pixel at level 0 (default 0.5). */
  mpp?: number;
  /** Objective magnification of level 0 (default 20). */
  magnification?: number;
  /** JPEG quality of the tiles (default 85). */
  quality?: number;
}

/** The ground truth written to `<id>.truth.json`. */
export interface SyntheticSlideTruth {
  id: string;
  /** 1 when the slide holds tumour, else 0. */
  label: 0 | 1;
  width: number;
  height: number;
  mpp: number;
  magnification: number;
  /** Tumour area over tissue area. */
  tumourFraction: number;
  /** Tumour atypia, 0–1 (0 on negative slides). */
  tumourGrade: number;
  /** Tissue area over slide area. */
  tissueArea: number;
  /** File name of the tumour mask and its scale (level-0 px per mask px). */
  tumourMask: string;
  maskDownsample: number;
  /** Pen stroke, when drawn: colour, width and level-0 polyline. */
  pen?: { colour: string; width: number; points: Array<[number, number]> };
  /** Out-of-focus rectangle in level-0 pixels, when drawn. */
  blur?: { x: number; y: number; width: number; height: number };
  seed: number;
}

/** Where a written slide's files are, with its truth. */
export interface SyntheticSlideFiles extends SyntheticSlideTruth {
  path: string;
  maskPath: string;
  truthPath: string;
}

/** The Aperio ImageDescription OpenSlide needs to report vendor `aperio`. */
export function aperioDescription(
  id: string,
  width: number,
  height: number,
  mpp: number,
  magnification: number,
  quality: number,
): string {
  return `Aperio Image Library v12.0.15 \r\n${width}x${height} [0,0 ${width}x${height}] (256x256) JPEG/RGB Q=${quality}` +
    `|AppMag = ${magnification}|MPP = ${mpp}|Filename = ${id}|ScanScope ID = ASMIL-SYNTHETIC`;
}

/**
 * Plans, paints and writes one slide with its ground truth.
 *
 * @example
 * ```ts
 * import { writeSyntheticSlide } from "./synthetic_slide.ts";
 * const dir = await Deno.makeTempDir();
 * const slide = await writeSyntheticSlide({
 *   id: "s1", dir, seed: 1, width: 1024, height: 1024, positive: true, islands: 1,
 * });
 * if (slide.label !== 1 || !slide.path.endsWith("s1.tiff")) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeSyntheticSlide(
  options: SyntheticSlideOptions,
): Promise<SyntheticSlideFiles> {
  const { id, dir, seed } = options;
  const mpp = options.mpp ?? 0.5;
  const magnification = options.magnification ?? 20;
  const quality = options.quality ?? 85;
  const plan = planSlide(options, seed);
  const image = await paintSlide(plan, seed);
  const tiff = await sharp(image.rgb, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .tiff({
      tile: true,
      pyramid: true,
      compression: "jpeg",
      quality,
      tileWidth: 256,
      tileHeight: 256,
      xres: 1000 / mpp,
      yres: 1000 / mpp,
      resolutionUnit: "cm",
    })
    .toBuffer();
  const path = join(dir, `${id}.tiff`);
  const description = aperioDescription(
    id,
    image.width,
    image.height,
    mpp,
    magnification,
    quality,
  );
  await Deno.writeFile(
    path,
    withImageDescription(new Uint8Array(tiff), description, path),
  );
  const maskName = `${id}.tumour.png`;
  const maskPath = join(dir, maskName);
  await sharp(plan.tumour, {
    raw: { width: plan.coarseWidth, height: plan.coarseHeight, channels: 1 },
  }).png().toFile(maskPath);
  const truth: SyntheticSlideTruth = {
    id,
    label: plan.tumourFraction > 0 ? 1 : 0,
    width: image.width,
    height: image.height,
    mpp,
    magnification,
    tumourFraction: plan.tumourFraction,
    tumourGrade: plan.tumourGrade,
    tissueArea: plan.tissueArea,
    tumourMask: maskName,
    maskDownsample: PLAN_SCALE,
    ...(plan.pen
      ? {
        pen: {
          colour: plan.pen.colour,
          width: plan.pen.width,
          points: plan.pen.points,
        },
      }
      : {}),
    ...(plan.blur
      ? {
        blur: {
          x: plan.blur.x,
          y: plan.blur.y,
          width: plan.blur.width,
          height: plan.blur.height,
        },
      }
      : {}),
    seed,
  };
  const truthPath = join(dir, `${id}.truth.json`);
  await Deno.writeTextFile(truthPath, JSON.stringify(truth, null, 2) + "\n");
  return { ...truth, path, maskPath, truthPath };
}
