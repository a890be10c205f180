/**
 * `asmil synth-features`: generates the WSI-like feature cohort
 * (data/synthetic/feature_cohort.ts) into a run store (`--out-store`) or as
 * CLAM-layout `.h5` files with `labels.csv` (`--out-h5`), slide by slide,
 * resuming where an earlier run stopped. The seed is the global `--seed`.
 *
 * @module
 */
import { dirname } from "node:path";
import { Option } from "@commander-js/extra-typings";
import {
  FEATURE_COHORT_DEFAULTS as DEFAULTS,
  FeatureCohort,
  type FeatureCohortOptions,
} from "../../data/synthetic/feature_cohort.ts";
import {
  SYNTHETIC_FEATURES_ENCODER,
  writeFeatureCohortToStore,
  type WrittenSlide,
} from "../../data/synthetic/feature_cohort_store.ts";
import { openStore } from "../../data/store.ts";
import { type CommandContext, commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";
import { parseInteger, parseNumber } from "../cli_args.ts";

/** The flags of `asmil synth-features`, as parsed. */
export interface SynthFeaturesFlags {
  outStore?: string;
  outH5?: string;
  slides?: number;
  minTiles?: number;
  maxTiles?: number;
  dim?: number;
  tumourFraction?: [number, number];
  margin?: number;
  encoder?: string;
}

/** Parses `--tumour-fraction MIN[,MAX]` (one value: MIN = MAX). */
export function parseTumourFraction(value: string): [number, number] {
  const parts = value.split(",").map((p) => p.trim());
  const numbers = parts.map(Number);
  const [min, max = min] = numbers as [number, number?];
  if (
    parts.length > 2 || parts.some((p) => p === "") ||
    !numbers.every((x) => x > 0 && x <= 1) || max < min
  ) {
    throw new Error(
      `--tumour-fraction must be MIN[,MAX] with 0 < MIN ≤ MAX ≤ 1: current value is "${value}"`,
    );
  }
  return [min, max];
}

/** The generator options the flags and the seed ask for (others default). */
export function cohortOptionsFromFlags(
  flags: SynthFeaturesFlags,
  seed: number,
): FeatureCohortOptions {
  const o: FeatureCohortOptions = { seed };
  if (flags.slides !== undefined) o.slides = flags.slides;
  if (flags.minTiles !== undefined) o.minTiles = flags.minTiles;
  if (flags.maxTiles !== undefined) o.maxTiles = flags.maxTiles;
  if (flags.dim !== undefined) o.dim = flags.dim;
  if (flags.margin !== undefined) o.margin = flags.margin;
  if (flags.tumourFraction) {
    [o.minTumourFraction, o.maxTumourFraction] = flags.tumourFraction;
  }
  return o;
}

/**
 * Generates the cohort into the outputs `flags` name, with progress on
 * stderr (unless quiet) and one summary line per output on stdout.
 *
 * @example
 * ```ts ignore
 * const ctx = await commandContext({ seed: 1 });
 * await synthFeatures(ctx, { outH5: "out/features", slides: 120 });
 * ```
 */
export async function synthFeatures(
  ctx: CommandContext,
  flags: SynthFeaturesFlags,
): Promise<void> {
  if (flags.outStore === undefined && flags.outH5 === undefined) {
    throw new Error(
      "asmil synth-features needs somewhere to write: --out-store <path> (a run store) or --out-h5 <dir> (CLAM .h5 files), or both",
    );
  }
  const cohort = new FeatureCohort(
    cohortOptionsFromFlags(flags, ctx.config.seed),
  );
  const o = cohort.options;
  const positives = cohort.labels.filter((l) => l === 1).length;
  ctx.info(
    `synth-features: ${o.slides} slides (${positives} with tumour), ${o.minTiles}–${o.maxTiles} tiles of ${o.dim}-d, tumour ${
      100 * o.minTumourFraction
    }–${
      100 * o.maxTumourFraction
    }% in ≤ ${o.maxBlobs} blobs, margin ${o.margin}, seed ${o.seed}`,
  );
  const outputs = Number(flags.outStore !== undefined) +
    Number(flags.outH5 !== undefined);
  const progress = ctx.progress("synth-features", {
    total: outputs * cohort.size,
    unit: "slides",
  });
  const onSlide = (s: WrittenSlide) =>
    progress.tick(1, `${s.slideId} ${s.status}`);
  const summary = (
    where: string,
    s: { written: string[]; skipped: string[]; tiles: number },
  ) =>
    `${where}: wrote ${s.written.length} slides (${s.tiles} tiles, ${o.dim}-d); ${s.skipped.length} already present`;
  try {
    if (flags.outStore !== undefined) {
      if (flags.outStore !== ":memory:") {
        await Deno.mkdir(dirname(flags.outStore), { recursive: true });
      }
      const store = await openStore(flags.outStore);
      try {
        const encoder = flags.encoder ?? SYNTHETIC_FEATURES_ENCODER;
        const s = await writeFeatureCohortToStore(cohort, store, {
          encoder,
          onSlide,
        });
        console.log(summary(`${flags.outStore} (encoder "${s.encoder}")`, s));
      } finally {
        store.close();
      }
    }
    if (flags.outH5 !== undefined) {
      const { writeFeatureCohortH5 } = await import(
        "../../data/synthetic/feature_cohort_h5.ts"
      );
      const s = await writeFeatureCohortH5(cohort, flags.outH5, { onSlide });
      console.log(`${summary(s.dir, s)}; labels in ${s.labelsPath}`);
    }
  } finally {
    progress.done();
  }
}

/**
 * An option whose `--help` shows `shown` as its default without setting
 * one: absent flags stay undefined and the generator fills its defaults.
 */
function flag<T>(
  flags: string,
  description: string,
  shown: unknown,
  parse?: (value: string) => T,
): Option {
  const option = new Option(flags, description).default(
    undefined,
    String(shown),
  );
  return parse ? option.argParser(parse) : option;
}

/** Adds `asmil synth-features` to `program`. */
export const registerSynthFeatures: RegisterCommand = (program, globals) => {
  const d = DEFAULTS;
  program
    .command("synth-features")
    .description(
      "generate a WSI-like cohort of tile features (tissue clusters, per-slide batch offsets, contiguous tumour blobs) into a run store or as CLAM .h5 files; the seed is --seed",
    )
    .option("--out-store <path>", "run store (DuckDB file) to write into")
    .option(
      "--out-h5 <dir>",
      "folder for one CLAM-layout <slide>.h5 per slide and labels.csv",
    )
    .addOption(
      flag(
        "--slides <n>",
        "number of slides",
        d.slides,
        parseInteger("--slides"),
      ),
    )
    .addOption(
      flag(
        "--min-tiles <n>",
        "fewest tiles per slide",
        d.minTiles,
        parseInteger("--min-tiles"),
      ),
    )
    .addOption(
      flag(
        "--max-tiles <n>",
        "most tiles per slide",
        d.maxTiles,
        parseInteger("--max-tiles"),
      ),
    )
    .addOption(
      flag("--dim <d>", "feature dimension", d.dim, parseInteger("--dim")),
    )
    .addOption(
      flag(
        "--tumour-fraction <min[,max]>",
        "tumour tiles / tiles of a positive slide, drawn log-uniformly",
        `${d.minTumourFraction},${d.maxTumourFraction}`,
        parseTumourFraction,
      ),
    )
    .addOption(
      flag(
        "--margin <x>",
        "tumour shift, in units of the instance noise",
        d.margin,
        parseNumber("--margin"),
      ),
    )
    .addOption(
      flag(
        "--encoder <name>",
        "encoder name of the embeddings in the store",
        SYNTHETIC_FEATURES_ENCODER,
      ),
    )
    .action(async (o) => {
      const ctx = await commandContext(globals());
      await synthFeatures(ctx, o as SynthFeaturesFlags);
    });
};
