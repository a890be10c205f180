/**
 * The built-in data: a cohort of synthetic H&E slides, half of them with a
 * small tumour, written as Aperio-style TIFFs with `labels.csv` and
 * per-slide ground truth. Deterministic per seed. `asmil synth` calls
 * {@link synthCommand}.
 *
 * @module
 */

import { join } from "node:path";
import { Rng } from "../../pipeline/random.ts";
import type { SyntheticSlideFiles } from "./synthetic_slide.ts";
import { writeSlides } from "./_parallel.ts";

/** Options of {@link writeSyntheticCohort}. */
export interface SyntheticCohortOptions {
  /** Folder to write into (created when missing). */
  outDir: string;
  /** Number of slides (default 28). */
  slides?: number;
  /** Cohort seed (default 0). */
  seed?: number;
  /** Fraction of slides with tumour (default 0.5). */
  positiveFraction?: number;
  /** Level-0 side lengths to draw each slide's width and height from. */
  sides?: readonly number[];
  /** Microns per pixel at level 0 (default 0.5). */
  mpp?: number;
  /** Reuse a complete cohort written earlier with the same options (default true). */
  reuse?: boolean;
  /** Slides painted at once, each in a worker (default: the number of cores, at most 4). */
  concurrency?: number;
  /** Called after each slide is written (progress; `done` counts from 0). */
  onSlide?: (slide: SyntheticSlideFiles, done: number, total: number) => void;
}

/** A written cohort. */
export interface SyntheticCohort {
  dir: string;
  /** `slide_id,label` for every slide. */
  labelsPath: string;
  slides: SyntheticSlideFiles[];
  /** Whether the cohort was found on disk rather than written. */
  reused: boolean;
}

/** Default cohort size: the default pipeline runs in a few minutes on 2 cores. */
export const DEFAULT_COHORT_SLIDES = 28;
const DEFAULT_SIDES = [4096, 4608, 5120] as const;

/**
 * Writes (or reuses) a synthetic cohort: `<id>.tiff`, `<id>.tumour.png` and
 * `<id>.truth.json` per slide, `labels.csv` and `cohort.json` (the options
 * used).
 *
 * @example
 * ```ts
 * import { writeSyntheticCohort } from "./cohort.ts";
 * const outDir = await Deno.makeTempDir();
 * const cohort = await writeSyntheticCohort({ outDir, slides: 2, seed: 3, sides: [1024] });
 * if (cohort.slides.length !== 2) throw new Error("two slides");
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function writeSyntheticCohort(
  options: SyntheticCohortOptions,
): Promise<SyntheticCohort> {
  const n = options.slides ?? DEFAULT_COHORT_SLIDES;
  const seed = options.seed ?? 0;
  const positiveFraction = options.positiveFraction ?? 0.5;
  const sides = options.sides ?? DEFAULT_SIDES;
  const mpp = options.mpp ?? 0.5;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot write a synthetic cohort: slides must be a positive integer, got ${n}`,
    );
  }
  if (!(positiveFraction >= 0 && positiveFraction <= 1)) {
    throw new RangeError(
      `Cannot write a synthetic cohort: positiveFraction must be in [0, 1], got ${positiveFraction}`,
    );
  }
  if (sides.length === 0 || sides.some((s) => s <= 0 || s % 512 !== 0)) {
    throw new RangeError(
      `Cannot write a synthetic cohort: sides must be positive multiples of 512, got [${
        sides.join(", ")
      }]`,
    );
  }
  const dir = options.outDir;
  const labelsPath = join(dir, "labels.csv");
  const manifest = {
    version: 2,
    slides: n,
    seed,
    positiveFraction,
    sides: [...sides],
    mpp,
  };
  const manifestPath = join(dir, "cohort.json");
  if (options.reuse ?? true) {
    const existing = await readExisting(
      dir,
      manifestPath,
      JSON.stringify(manifest),
    );
    if (existing) return { dir, labelsPath, slides: existing, reused: true };
  }
  await Deno.mkdir(dir, { recursive: true });
  const rng = new Rng(seed);
  const positives = rng.shuffle(
    Array.from({ length: n }, (_, i) => i < Math.round(n * positiveFraction)),
  );
  const jobs = positives.map((positive, i) => {
    const slideRng = rng.fork();
    const width = sides[slideRng.int(sides.length)] as number;
    const height = sides[slideRng.int(sides.length)] as number;
    return {
      id: `synth_${String(i).padStart(3, "0")}`,
      dir,
      seed: slideRng.nextUint32(),
      width,
      height,
      positive,
      mpp,
    };
  });
  const concurrency = options.concurrency ??
    Math.min(4, navigator.hardwareConcurrency || 1);
  const slides = await writeSlides(
    jobs,
    concurrency,
    (slide, done) => options.onSlide?.(slide, done, n),
  );
  const csv =
    ["slide_id,label", ...slides.map((s) => `${s.id},${s.label}`)].join("\n") +
    "\n";
  await Deno.writeTextFile(labelsPath, csv);
  await Deno.writeTextFile(
    manifestPath,
    JSON.stringify(manifest, null, 2) + "\n",
  );
  return { dir, labelsPath, slides, reused: false };
}

async function readExisting(
  dir: string,
  manifestPath: string,
  expected: string,
): Promise<SyntheticSlideFiles[] | undefined> {
  try {
    const found = JSON.stringify(
      JSON.parse(await Deno.readTextFile(manifestPath)),
    );
    if (found !== expected) return undefined;
    const labels = (await Deno.readTextFile(join(dir, "labels.csv"))).trim()
      .split("\n").slice(1);
    const slides: SyntheticSlideFiles[] = [];
    for (const line of labels) {
      const id = line.split(",")[0] as string;
      const truthPath = join(dir, `${id}.truth.json`);
      const truth = JSON.parse(await Deno.readTextFile(truthPath));
      const path = join(dir, `${id}.tiff`);
      const maskPath = join(dir, truth.tumourMask);
      await Deno.stat(path);
      await Deno.stat(maskPath);
      slides.push({ ...truth, path, maskPath, truthPath });
    }
    return slides;
  } catch {
    return undefined;
  }
}

/** Options of {@link synthCommand}, as `asmil synth` parses them. */
export interface SynthCommandOptions {
  /** `--out DIR` */
  out: string;
  /** `--slides N` (default 28) */
  slides?: number;
  /** `--seed S` (default 0) */
  seed?: number;
  /** `--force`: rewrite even when a matching cohort exists. */
  force?: boolean;
  /** Slide side lengths (no CLI flag; tests use small slides). */
  sides?: readonly number[];
  /** Where progress lines go (default `console.log`). */
  log?: (line: string) => void;
}

/**
 * `asmil synth --out DIR --slides N --seed S [--force]`: writes the synthetic
 * cohort and prints one line per slide and a summary.
 *
 * @example
 * ```ts ignore
 * import { synthCommand } from "./cohort.ts";
 * await synthCommand({ out: "out/synthetic", slides: 28, seed: 0 });
 * ```
 */
export async function synthCommand(
  options: SynthCommandOptions,
): Promise<SyntheticCohort> {
  const log = options.log ?? console.log;
  const started = performance.now();
  const cohort = await writeSyntheticCohort({
    outDir: options.out,
    ...(options.slides !== undefined ? { slides: options.slides } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.sides !== undefined ? { sides: options.sides } : {}),
    reuse: !options.force,
    onSlide: (s, i, total) =>
      log(
        `[${
          i + 1
        }/${total}] ${s.id} ${s.width}×${s.height} label=${s.label} tumour=${
          (100 * s.tumourFraction).toFixed(2)
        }% of tissue${s.pen ? ` pen=${s.pen.colour}` : ""}${
          s.blur ? " blur" : ""
        }`,
      ),
  });
  const positives = cohort.slides.filter((s) => s.label === 1).length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `${
      cohort.reused ? "Reused" : "Wrote"
    } ${cohort.slides.length} slides (${positives} with tumour) in ${cohort.dir} in ${seconds}s; labels in ${cohort.labelsPath}`,
  );
  return cohort;
}
