/**
 * The built-in data: a cohort of synthetic H&E slides, half of them with a
 * small tumour, written as Aperio-style TIFFs with `labels.csv` and
 * per-slide ground truth. Deterministic per seed. `asmil synth` calls
 * {@link synthCommand}.
 *
 * @module
 */

import { join } from "node:path";
import { Rng } from "../../core/random.ts";
import { inShard, type Shard } from "../../core/shard.ts";
import type { SyntheticSlideFiles } from "./synthetic_slide.ts";
import { writeSlides } from "./_parallel.ts";
import { planSlide } from "./slide_plan.ts";

/** Options of {@link writeSyntheticCohort}. */
export interface SyntheticCohortOptions {
  /** Folder to write into (created when missing). */
  outDir: string;
  /** Number of slides (default {@link DEFAULT_COHORT_SLIDES}). */
  slides?: number;
  /** Cohort seed (default 0). */
  seed?: number;
  /** Fraction of slides with tumour (default 0.5). */
  positiveFraction?: number;
  /** Level-0 side lengths to draw each slide's width and height from. */
  sides?: readonly number[];
  /**
   * Range of a positive slide's tumour area over its tissue area, drawn
   * log-uniformly per slide (default {@link DEFAULT_TUMOUR_FRACTION}).
   */
  tumourFraction?: readonly [number, number];
  /**
   * Range of a positive slide's tumour grade (0–1, how atypical its nuclei
   * look), drawn uniformly per slide (default {@link DEFAULT_TUMOUR_GRADE}).
   */
  tumourGrade?: readonly [number, number];
  /** Microns per pixel at level 0 (default 0.5). */
  mpp?: number;
  /** Reuse a complete cohort written earlier with the same options (default true). */
  reuse?: boolean;
  /** Slides painted at once, each in a worker (default: the number of cores, at most 4). */
  concurrency?: number;
  /** Called after each slide is written (progress; `done` counts from 0). */
  onSlide?: (slide: SyntheticSlideFiles, done: number, total: number) => void;
  /**
   * Write only this shard's slides (core/shard.ts), with the whole
   * cohort's `labels.csv` and `cohort.shard-i-of-n.json`; the shard that
   * completes the set writes `cohort.json`.
   */
  shard?: Shard;
}

/** A written cohort. */
export interface SyntheticCohort {
  dir: string;
  /** `slide_id,label` for every slide. */
  labelsPath: string;
  /** The slides (of the shard, when sharded). */
  slides: SyntheticSlideFiles[];
  /** Whether the cohort was found on disk rather than written. */
  reused: boolean;
}

/** Default cohort size: the default pipeline runs in a few minutes on 2 cores. */
export const DEFAULT_COHORT_SLIDES = 28;
/** Default level-0 side lengths a slide's width and height are drawn from. */
export const DEFAULT_SIDES = [4096, 4608, 5120] as const;
/** Default range of a positive slide's tumour area over its tissue area. */
export const DEFAULT_TUMOUR_FRACTION = [0.005, 0.1] as const;
/** Default range of a positive slide's tumour grade. */
export const DEFAULT_TUMOUR_GRADE = [0.35, 1] as const;

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
  const tumourFraction = options.tumourFraction ?? DEFAULT_TUMOUR_FRACTION;
  const tumourGrade = options.tumourGrade ?? DEFAULT_TUMOUR_GRADE;
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
  checkRange("tumourFraction", tumourFraction, "(0, 1]");
  checkRange("tumourGrade", tumourGrade, "[0, 1]");
  const dir = options.outDir;
  const labelsPath = join(dir, "labels.csv");
  const manifest = {
    version: 3,
    slides: n,
    seed,
    positiveFraction,
    sides: [...sides],
    mpp,
    tumourFraction: [...tumourFraction],
    tumourGrade: [...tumourGrade],
  };
  const shard = options.shard;
  const manifestPath = join(dir, "cohort.json");
  const shardManifest = (s: Shard) =>
    join(dir, `cohort.shard-${s.index}-of-${s.count}.json`);
  if (options.reuse ?? true) {
    const existing = await readExisting(
      dir,
      shard ? shardManifest(shard) : manifestPath,
      JSON.stringify(manifest),
      shard,
    ) ?? (shard
      ? await readExisting(dir, manifestPath, JSON.stringify(manifest), shard)
      : undefined);
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
    const slideSeed = slideRng.nextUint32();
    const [fLo, fHi] = tumourFraction, [gLo, gHi] = tumourGrade;
    return {
      id: `synth_${String(i).padStart(3, "0")}`,
      dir,
      seed: slideSeed,
      width,
      height,
      positive,
      mpp,
      tumourFraction: Math.exp(
        slideRng.uniform(Math.log(fLo), Math.log(fHi)),
      ),
      tumourGrade: slideRng.uniform(gLo, gHi),
    };
  });
  const concurrency = options.concurrency ??
    Math.min(4, navigator.hardwareConcurrency || 1);
  const labelsCsv = (rows: { id: string; label: number }[]) =>
    ["slide_id,label", ...rows.map((s) => `${s.id},${s.label}`)].join("\n") +
    "\n";
  const manifestText = JSON.stringify(manifest, null, 2) + "\n";
  if (shard) {
    // Every shard knows every label from the plans (cheap, coarse grids),
    // so each writes the same whole labels.csv before its slides.
    await writeAtomically(
      labelsPath,
      labelsCsv(jobs.map((job) => ({
        id: job.id,
        label: planSlide(job, job.seed).tumourFraction > 0 ? 1 : 0,
      }))),
    );
    const mine = inShard(jobs, shard, (job) => job.id);
    const slides = await writeSlides(
      mine,
      concurrency,
      (slide, done) => options.onSlide?.(slide, done, mine.length),
    );
    await writeAtomically(shardManifest(shard), manifestText);
    const all = await Promise.all(
      Array.from(
        { length: shard.count },
        (_, index) => readText(shardManifest({ index, count: shard.count })),
      ),
    );
    if (all.every((text) => text === manifestText)) {
      await writeAtomically(manifestPath, manifestText);
    }
    return { dir, labelsPath, slides, reused: false };
  }
  const slides = await writeSlides(
    jobs,
    concurrency,
    (slide, done) => options.onSlide?.(slide, done, n),
  );
  await Deno.writeTextFile(labelsPath, labelsCsv(slides));
  await Deno.writeTextFile(manifestPath, manifestText);
  return { dir, labelsPath, slides, reused: false };
}

/** Shards write shared files whole or not at all (a rename is atomic). */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

function checkRange(
  name: string,
  range: readonly [number, number],
  bounds: "(0, 1]" | "[0, 1]",
): void {
  const [lo, hi] = range;
  const low = bounds === "(0, 1]" ? lo > 0 : lo >= 0;
  if (!(low && lo <= hi && hi <= 1)) {
    throw new RangeError(
      `Cannot write a synthetic cohort: ${name} must be a range [lo, hi] with lo <= hi within ${bounds}, got [${lo}, ${hi}]`,
    );
  }
}

async function readExisting(
  dir: string,
  manifestPath: string,
  expected: string,
  shard?: Shard,
): Promise<SyntheticSlideFiles[] | undefined> {
  try {
    const found = JSON.stringify(
      JSON.parse(await Deno.readTextFile(manifestPath)),
    );
    if (found !== expected) return undefined;
    const labels = (await Deno.readTextFile(join(dir, "labels.csv"))).trim()
      .split("\n").slice(1);
    const slides: SyntheticSlideFiles[] = [];
    for (const line of inShard(labels, shard, (l) => l.split(",")[0]!)) {
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
  /** `--slides N` (default {@link DEFAULT_COHORT_SLIDES}) */
  slides?: number;
  /** `--seed S` (default 0) */
  seed?: number;
  /** `--force`: rewrite even when a matching cohort exists. */
  force?: boolean;
  /** Slide side lengths (no CLI flag; tests use small slides). */
  sides?: readonly number[];
  /** `--shard i/n`: write only this shard's slides. */
  shard?: Shard;
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
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
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
    } ${cohort.slides.length} slides (${positives} with tumour)${
      options.shard
        ? ` of shard ${options.shard.index}/${options.shard.count}`
        : ""
    } in ${cohort.dir} in ${seconds}s; labels in ${cohort.labelsPath}`,
  );
  return cohort;
}
