/**
 * A WSI-like cohort of tile features, generated slide by slide.
 *
 * Each slide is a tissue-shaped set of N tiles on a grid. A tile's feature
 * is the centre of its tissue cluster (clusters shared by both classes,
 * mixed per slide with Dirichlet weights and laid out in spatial patches),
 * plus the slide's additive offset (a site or stain batch effect: a few
 * fixed directions, each with a per-slide Gaussian weight), plus
 * isotropic noise. Positive slides hold a small fraction of tumour tiles in
 * a few spatially contiguous blobs; a tumour tile is a background tile
 * shifted by `margin` noise units along one of a few fixed unit directions.
 *
 * Slide `k` is a function of the seed and `k` alone, so a 16 GB cohort is
 * produced one slide at a time.
 *
 * @module
 */
import { Rng } from "../../core/random.ts";
import type { Bag, Split } from "../../core/types.ts";
import { stratifiedKFold } from "../../core/kfold.ts";
import { categorical, dirichlet, NormalSource } from "./_gaussian.ts";
import { growBlobs, tissueGrid } from "./_tissue_layout.ts";

/** How to generate a feature cohort; every field has a default. */
export interface FeatureCohortOptions {
  /** Number of slides. */
  slides?: number;
  /** Fewest and most tiles per slide (N drawn uniformly in between). */
  minTiles?: number;
  maxTiles?: number;
  /** Feature dimension D. */
  dim?: number;
  /** Share of slides that hold tumour (rounded to a count). */
  positiveFraction?: number;
  /** Range of a positive slide's tumour tile fraction (drawn log-uniformly). */
  minTumourFraction?: number;
  maxTumourFraction?: number;
  /** Most tumour blobs per positive slide (1 up to this many). */
  maxBlobs?: number;
  /** Length of the tumour shift, in units of the instance noise. */
  margin?: number;
  /** Number of fixed tumour directions (each blob uses one). */
  tumourDirections?: number;
  /** Background tissue clusters shared by all slides. */
  clusters?: number;
  /** Standard deviation of the cluster centres' coordinates. */
  clusterSpread?: number;
  /** Dirichlet concentration of each slide's cluster weights. */
  concentration?: number;
  /** Standard deviation of a slide's offset along each batch direction. */
  offsetStd?: number;
  /** Number of fixed batch-effect directions (from `dim` on: an isotropic offset). */
  offsetRank?: number;
  /** Standard deviation of the instance noise. */
  noiseStd?: number;
  /** Level-0 pixels per grid cell (tile coordinates are multiples of it). */
  tileSize?: number;
  /** Stratified k-fold split: `folds` folds, fold `fold` is test, the next val. */
  folds?: number;
  fold?: number;
  /** Slide ids are this prefix and the zero-padded index. */
  idPrefix?: string;
  seed?: number;
}

/** Every option of {@link FeatureCohort}, resolved. */
export type ResolvedFeatureCohortOptions = Required<FeatureCohortOptions>;

/**
 * The defaults, measured in bench/results/feature_cohort.md. Size: 120
 * slides of 200–600 tiles at D 384 (≈ 48,000 tiles), so that every model
 * with and without the anchor × 3 seeds × 20 epochs takes about 70 min on
 * 2 cores with the OpenBLAS backend (TransMIL two thirds of it). Difficulty: gated ABMIL reaches test
 * AUC 1.0 by epoch 4–9 at the reference lr 1e-4 (6 of 6 runs), while mean
 * pooling gets 0.76–0.88 (tumour is 0.5–10 % of a positive slide, and the
 * slides' tissue mixtures and offsets move the mean more). The
 * margin, 28 noise units, makes a tumour tile about as far from its
 * background as two tissue clusters are from each other (clusterSpread ·
 * √(2D) ≈ 28 at D 384).
 */
export const FEATURE_COHORT_DEFAULTS: Readonly<ResolvedFeatureCohortOptions> =
  Object.freeze({
    slides: 120,
    minTiles: 200,
    maxTiles: 600,
    dim: 384,
    positiveFraction: 0.5,
    minTumourFraction: 0.005,
    maxTumourFraction: 0.1,
    maxBlobs: 3,
    margin: 28,
    tumourDirections: 3,
    clusters: 8,
    clusterSpread: 1,
    concentration: 1,
    offsetStd: 1,
    offsetRank: 8,
    noiseStd: 1,
    tileSize: 256,
    folds: 5,
    fold: 0,
    idPrefix: "synthfeat_",
    seed: 0,
  });

/** What a slide holds beyond its bag: the generator's ground truth. */
export interface FeatureSlideTruth {
  /** The slide's additive offset, `[dim]`. */
  offset: Float32Array;
  /** The slide's tissue cluster weights. */
  weights: Float64Array;
  /** Tissue cluster of each tile. */
  clusters: Uint8Array;
  /** Tile indices of each tumour blob (each a 4-connected component). */
  blobs: Int32Array[];
  /** Tumour direction of each blob. */
  blobDirections: number[];
  /** Tumour tiles / tiles. */
  tumourFraction: number;
}

/** A slide's metadata, known without generating it. */
export interface FeatureSlideInfo {
  slideId: string;
  n: number;
  dim: number;
  label: number;
  split: Split;
}

/** One generated slide: a {@link Bag} with coordinates, tile labels and truth. */
export interface FeatureSlide extends Bag {
  coords: Int32Array;
  tileLabels: Int8Array;
  index: number;
  truth: FeatureSlideTruth;
}

/**
 * A seeded cohort of feature slides. The constructor draws only what all
 * slides share (cluster centres, tumour directions, labels, splits);
 * {@link FeatureCohort.slide} makes one slide from its index.
 *
 * @example
 * ```ts
 * import { FeatureCohort } from "./feature_cohort.ts";
 * const cohort = new FeatureCohort({ slides: 4, minTiles: 50, maxTiles: 80, dim: 8, seed: 1 });
 * let tiles = 0;
 * for (const slide of cohort) tiles += slide.n;
 * if (tiles < 200 || cohort.slide(3).dim !== 8) throw new Error("4 slides of 50–80 tiles");
 * ```
 */
export class FeatureCohort implements Iterable<FeatureSlide> {
  /** The options in use, defaults filled in. */
  readonly options: Readonly<ResolvedFeatureCohortOptions>;
  /** Slide ids in index order. */
  readonly ids: readonly string[];
  /** Class of each slide (1 = holds tumour). */
  readonly labels: readonly number[];
  /** Split of each slide. */
  readonly splits: readonly Split[];
  readonly #centres: Float32Array;
  readonly #directions: Float32Array;
  readonly #batchDirections: Float32Array;
  readonly #salt: number;

  /** Resolves and checks `options`, then draws the shared parts. */
  constructor(options: FeatureCohortOptions = {}) {
    const o = resolveFeatureCohortOptions(options);
    this.options = o;
    const rng = new Rng(o.seed);
    this.#salt = rng.nextUint32();
    this.#centres = new NormalSource(rng.nextUint32()).fill(
      new Float32Array(o.clusters * o.dim),
      o.clusterSpread,
    );
    this.#directions = unitDirections(
      o.tumourDirections,
      o.dim,
      rng.nextUint32(),
    );
    this.#batchDirections = unitDirections(
      Math.min(o.offsetRank, o.dim),
      o.dim,
      rng.nextUint32(),
    );
    const width = Math.max(3, String(o.slides - 1).length);
    this.ids = Array.from(
      { length: o.slides },
      (_, i) => `${o.idPrefix}${String(i).padStart(width, "0")}`,
    );
    const positives = Math.round(o.positiveFraction * o.slides);
    this.labels = rng.shuffle(
      Array.from({ length: o.slides }, (_, i) => (i < positives ? 1 : 0)),
    );
    const byId = new Map(this.ids.map((id, i) => [id, this.labels[i]!]));
    const splits = stratifiedKFold(byId, o.folds, o.fold, rng.nextUint32());
    this.splits = this.ids.map((id) => splits.get(id)!);
  }

  /** Number of slides. */
  get size(): number {
    return this.options.slides;
  }

  /** Generates slide `index` (0-based) without generating any other. */
  slide(index: number): FeatureSlide {
    const o = this.options;
    if (!Number.isInteger(index) || index < 0 || index >= o.slides) {
      throw new RangeError(
        `FeatureCohort.slide() index must be an integer in [0, ${o.slides}): current value is ${index}`,
      );
    }
    const rng = new Rng(mix32(this.#salt, index));
    const n = this.#tiles(rng);
    const grid = tissueGrid(n, rng);
    const label = this.labels[index]!;
    const weights = dirichlet(rng, o.clusters, o.concentration);
    const clusters = patchyClusters(grid, weights, rng);
    const offset = this.#offset(rng);
    const { blobs, blobDirections } = label === 1
      ? this.#tumour(grid, n, rng)
      : { blobs: [], blobDirections: [] };
    const features = new NormalSource(rng.nextUint32()).fill(
      new Float32Array(n * o.dim),
      o.noiseStd,
    );
    const { dim } = o;
    for (let j = 0; j < n; j++) {
      const centre = clusters[j]! * dim, row = j * dim;
      for (let d = 0; d < dim; d++) {
        features[row + d]! += this.#centres[centre + d]! + offset[d]!;
      }
    }
    const tileLabels = new Int8Array(n);
    const shift = o.margin * o.noiseStd;
    blobs.forEach((blob, b) => {
      const direction = blobDirections[b]! * dim;
      for (const j of blob) {
        tileLabels[j] = 1;
        for (let d = 0; d < dim; d++) {
          features[j * dim + d]! += shift * this.#directions[direction + d]!;
        }
      }
    });
    const coords = new Int32Array(2 * n);
    for (let j = 0; j < n; j++) {
      coords[2 * j] = grid.col[j]! * o.tileSize;
      coords[2 * j + 1] = grid.row[j]! * o.tileSize;
    }
    const tumour = blobs.reduce((s, b) => s + b.length, 0);
    return {
      slideId: this.ids[index]!,
      index,
      features,
      n,
      dim,
      coords,
      label,
      split: this.splits[index]!,
      tileLabels,
      truth: {
        offset,
        weights,
        clusters,
        blobs,
        blobDirections,
        tumourFraction: tumour / n,
      },
    };
  }

  /**
   * What is known of every slide without generating it (id, N, dim, label,
   * split): with {@link FeatureCohort.read}, the cohort serves as a bag
   * source that makes each bag when it is read.
   */
  get infos(): FeatureSlideInfo[] {
    return this.ids.map((slideId, index) => ({
      slideId,
      n: this.#tiles(new Rng(mix32(this.#salt, index))),
      dim: this.options.dim,
      label: this.labels[index]!,
      split: this.splits[index]!,
    }));
  }

  /** Generates the slide with id `slideId`. */
  read(slideId: string): Promise<FeatureSlide> {
    const index = this.ids.indexOf(slideId);
    if (index < 0) {
      return Promise.reject(
        new Error(`No slide "${slideId}" in this feature cohort`),
      );
    }
    return Promise.resolve(this.slide(index));
  }

  /** Slides in index order, one generated per step. */
  *[Symbol.iterator](): Iterator<FeatureSlide> {
    for (let i = 0; i < this.options.slides; i++) yield this.slide(i);
  }

  /** A slide's offset: a Gaussian weight on each batch direction. */
  #offset(rng: Rng): Float32Array {
    const { dim, offsetRank, offsetStd } = this.options;
    const weights = new NormalSource(rng.nextUint32()).fill(
      new Float32Array(Math.min(offsetRank, dim)),
      offsetStd,
    );
    const offset = new Float32Array(dim);
    weights.forEach((w, r) => {
      for (let d = 0; d < dim; d++) {
        offset[d]! += w * this.#batchDirections[r * dim + d]!;
      }
    });
    return offset;
  }

  /** A slide's tile count: the first draw of its generator. */
  #tiles(rng: Rng): number {
    const o = this.options;
    return o.minTiles + rng.int(o.maxTiles - o.minTiles + 1);
  }

  /** Tumour blobs: a log-uniform fraction of `n` split into 1…maxBlobs blobs. */
  #tumour(grid: ReturnType<typeof tissueGrid>, n: number, rng: Rng) {
    const o = this.options;
    const lo = Math.max(1, Math.ceil(o.minTumourFraction * n));
    const hi = Math.max(lo, Math.floor(o.maxTumourFraction * n));
    const fraction = o.minTumourFraction *
      (o.maxTumourFraction / o.minTumourFraction) ** rng.next();
    const total = Math.min(hi, Math.max(lo, Math.round(fraction * n)));
    const count = Math.min(total, 1 + rng.int(o.maxBlobs));
    const shares = dirichlet(rng, count, 2);
    const sizes = Array.from({ length: count }, () => 1);
    for (let left = total - count; left > 0; left--) {
      sizes[categorical(rng, shares)]!++;
    }
    const blobs = growBlobs(grid, sizes, rng);
    const blobDirections = blobs.map(() => rng.int(o.tumourDirections));
    return { blobs, blobDirections };
  }
}

/** Fills in defaults and checks every option, naming the one that is wrong. */
export function resolveFeatureCohortOptions(
  options: FeatureCohortOptions,
): ResolvedFeatureCohortOptions {
  const o = { ...FEATURE_COHORT_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(o, { [key]: value });
  }
  const fail = (key: string, rule: string, value: unknown) => {
    throw new RangeError(
      `FeatureCohort option ${key} must be ${rule}: current value is ${value}`,
    );
  };
  const ints: [keyof ResolvedFeatureCohortOptions, number][] = [
    ["slides", 1],
    ["minTiles", 1],
    ["maxTiles", o.minTiles],
    ["dim", 1],
    ["maxBlobs", 1],
    ["tumourDirections", 1],
    ["offsetRank", 1],
    ["tileSize", 1],
    ["folds", 3],
    ["fold", 0],
    ["seed", 0],
  ];
  for (const [key, min] of ints) {
    const v = o[key] as number;
    if (!Number.isInteger(v) || v < min) fail(key, `an integer ≥ ${min}`, v);
  }
  if (o.clusters < 1 || o.clusters > 255 || !Number.isInteger(o.clusters)) {
    fail("clusters", "an integer in [1, 255]", o.clusters);
  }
  if (o.fold >= o.folds) fail("fold", `less than folds (${o.folds})`, o.fold);
  if (o.tumourDirections > o.dim) {
    fail("tumourDirections", `at most dim (${o.dim})`, o.tumourDirections);
  }
  const positive: (keyof ResolvedFeatureCohortOptions)[] = [
    "concentration",
    "noiseStd",
  ];
  for (const key of positive) {
    if (!(o[key] as number > 0)) fail(key, "a positive number", o[key]);
  }
  for (const key of ["margin", "clusterSpread", "offsetStd"] as const) {
    if (!(o[key] >= 0 && Number.isFinite(o[key]))) {
      fail(key, "a finite number ≥ 0", o[key]);
    }
  }
  if (!(o.positiveFraction >= 0 && o.positiveFraction <= 1)) {
    fail("positiveFraction", "in [0, 1]", o.positiveFraction);
  }
  if (!(o.minTumourFraction > 0 && o.minTumourFraction <= 1)) {
    fail("minTumourFraction", "in (0, 1]", o.minTumourFraction);
  }
  if (
    !(o.maxTumourFraction >= o.minTumourFraction && o.maxTumourFraction <= 1)
  ) {
    fail(
      "maxTumourFraction",
      `in [minTumourFraction (${o.minTumourFraction}), 1]`,
      o.maxTumourFraction,
    );
  }
  return o;
}

/**
 * Tissue clusters laid out in patches: seed tiles spread over the slide
 * take clusters by the slide's weights; a tile takes its nearest seed's
 * cluster, or with probability 0.3 a fresh draw (mixed tissue).
 */
function patchyClusters(
  grid: ReturnType<typeof tissueGrid>,
  weights: Float64Array,
  rng: Rng,
): Uint8Array {
  const n = grid.col.length;
  const seeds = Array.from(
    { length: Math.max(4, Math.round(n / 150)) },
    () => {
      const t = rng.int(n);
      return {
        c: grid.col[t]!,
        r: grid.row[t]!,
        cluster: categorical(rng, weights),
      };
    },
  );
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (rng.next() < 0.3) {
      out[j] = categorical(rng, weights);
      continue;
    }
    let best = Infinity;
    for (const s of seeds) {
      const d = (s.c - grid.col[j]!) ** 2 + (s.r - grid.row[j]!) ** 2;
      if (d < best) best = d, out[j] = s.cluster;
    }
  }
  return out;
}

/** `count` orthonormal directions in `dim` dimensions (Gram–Schmidt). */
function unitDirections(count: number, dim: number, seed: number) {
  const out = new NormalSource(seed).fill(new Float32Array(count * dim));
  for (let a = 0; a < count; a++) {
    const row = out.subarray(a * dim, (a + 1) * dim);
    for (let b = 0; b < Math.min(a, dim); b++) {
      const other = out.subarray(b * dim, (b + 1) * dim);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += row[d]! * other[d]!;
      for (let d = 0; d < dim; d++) row[d]! -= dot * other[d]!;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += row[d]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) row[d]! /= norm;
  }
  return out;
}

/** A well-mixed 32-bit seed from `salt` and a slide index (murmur3 finaliser). */
function mix32(salt: number, index: number): number {
  let h = (salt ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
