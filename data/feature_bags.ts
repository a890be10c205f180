/**
 * Feature-level synthetic MIL bags: each bag holds N ~ U{a…b} instances of
 * dimension D drawn from a background mixture; bags of class c > 0 also hold
 * a small fraction of "witness" instances shifted along a class-specific
 * direction on a few informative dimensions. Difficulty is set by the shift
 * size, the witness fraction and the number of informative dimensions. Used
 * by tests, benchmarks and experiments; seeded, so one seed gives one set.
 *
 * @module
 */
import { Rng } from "../core/random.ts";
import type { Bag, Split } from "../core/types.ts";

/** How to generate a set of feature bags. */
export interface FeatureBagOptions {
  /** Number of bags; default 40. */
  count?: number;
  /** Instance feature dimension D; default 32. */
  dim?: number;
  /** Smallest bag size a; default 20. */
  minInstances?: number;
  /** Largest bag size b; default 60. */
  maxInstances?: number;
  /** Number of classes C ≥ 2 (class 0 has no witnesses); default 2. */
  numClasses?: number;
  /** Share of each class among the bags (normalised); default uniform. */
  classFractions?: number[];
  /** Fraction of a witness-bearing bag's instances that are witnesses (≥ 1 witness); default 0.1. */
  witnessFraction?: number;
  /** Length of the witness mean shift (in background-noise units); default 3. */
  shift?: number;
  /** Dimensions the shift is spread over (per class); default 4. */
  informativeDims?: number;
  /** Background mixture components ("tissue types"); default 4. */
  clusters?: number;
  /** Standard deviation of the cluster means; default 1. */
  clusterSpread?: number;
  /** Fractions of bags in train/val/test (stratified by class); default 0.6/0.2/0.2. */
  splits?: { train: number; val: number; test: number };
  /** Attach per-instance labels (`tileLabels`: c for a class-c witness, else 0); default true. */
  instanceLabels?: boolean;
  /** Prefix of the slide ids; default `"bag"`. */
  idPrefix?: string;
  /** Seed; default 0. */
  seed?: number;
}

/** The defaults of {@link featureBags}. */
export const FEATURE_BAG_DEFAULTS = {
  count: 40,
  dim: 32,
  minInstances: 20,
  maxInstances: 60,
  numClasses: 2,
  witnessFraction: 0.1,
  shift: 3,
  informativeDims: 4,
  clusters: 4,
  clusterSpread: 1,
  splits: { train: 0.6, val: 0.2, test: 0.2 },
  instanceLabels: true,
  idPrefix: "bag",
  seed: 0,
};

/**
 * Generates `count` bags with labels and stratified splits.
 *
 * @example
 * ```ts
 * import { featureBags } from "./feature_bags.ts";
 * const bags = featureBags({ count: 10, dim: 8, seed: 1 });
 * if (bags.length !== 10 || bags[0]?.dim !== 8) throw new Error("10 bags of dim 8");
 * ```
 */
export function featureBags(options: FeatureBagOptions = {}): Bag[] {
  const o = { ...FEATURE_BAG_DEFAULTS, ...options };
  check(o);
  const rng = new Rng(o.seed);
  const centres = Array.from(
    { length: o.clusters },
    () => Array.from({ length: o.dim }, () => rng.normal(0, o.clusterSpread)),
  );
  const labels = classLabels(o.count, o.numClasses, o.classFractions, rng);
  const splits = stratifiedSplits(labels, o.numClasses, o.splits, rng);
  const width = String(o.count - 1).length;
  return labels.map((label, i) => {
    const n = o.minInstances + rng.int(o.maxInstances - o.minInstances + 1);
    const witnesses = label === 0
      ? 0
      : Math.min(n, Math.max(1, Math.round(o.witnessFraction * n)));
    const isWitness = new Int8Array(n);
    for (const j of rng.shuffle([...Array(n).keys()]).slice(0, witnesses)) {
      isWitness[j] = 1;
    }
    const features = new Float32Array(n * o.dim);
    const perDim = o.shift / Math.sqrt(o.informativeDims);
    const first = ((label - 1) * o.informativeDims) % o.dim;
    for (let j = 0; j < n; j++) {
      const centre = centres[rng.int(o.clusters)] as number[];
      for (let d = 0; d < o.dim; d++) {
        features[j * o.dim + d] = (centre[d] as number) + rng.normal();
      }
      if (isWitness[j]) {
        for (let k = 0; k < o.informativeDims; k++) {
          const at = j * o.dim + ((first + k) % o.dim);
          features[at] = (features[at] as number) + perDim;
        }
      }
    }
    const bag: Bag = {
      slideId: `${o.idPrefix}${String(i).padStart(width, "0")}`,
      features,
      n,
      dim: o.dim,
      label,
      split: splits[i] as Split,
    };
    if (o.instanceLabels) bag.tileLabels = isWitness.map((w) => w * label);
    return bag;
  });
}

function check(o: typeof FEATURE_BAG_DEFAULTS & FeatureBagOptions): void {
  const ints: [string, number, number][] = [
    ["count", o.count, 1],
    ["dim", o.dim, 1],
    ["minInstances", o.minInstances, 1],
    ["maxInstances", o.maxInstances, o.minInstances],
    ["numClasses", o.numClasses, 2],
    ["informativeDims", o.informativeDims, 1],
    ["clusters", o.clusters, 1],
  ];
  for (const [key, value, min] of ints) {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(
        `featureBags() option ${key} must be an integer ≥ ${min}: current value is ${value}`,
      );
    }
  }
  if (o.informativeDims > o.dim) {
    throw new RangeError(
      `featureBags() option informativeDims must be ≤ dim (${o.dim}): current value is ${o.informativeDims}`,
    );
  }
  if (!(o.witnessFraction >= 0 && o.witnessFraction <= 1)) {
    throw new RangeError(
      `featureBags() option witnessFraction must be in [0, 1]: current value is ${o.witnessFraction}`,
    );
  }
  const { train, val, test } = o.splits;
  if (![train, val, test].every((f) => f >= 0) || train + val + test <= 0) {
    throw new RangeError(
      `featureBags() option splits must be non-negative with a positive sum: got ${
        JSON.stringify(o.splits)
      }`,
    );
  }
  if (o.classFractions && o.classFractions.length !== o.numClasses) {
    throw new RangeError(
      `featureBags() option classFractions must have numClasses (${o.numClasses}) entries: got ${o.classFractions.length}`,
    );
  }
}

/** Labels in the requested proportions (largest remainder), shuffled. */
function classLabels(
  count: number,
  numClasses: number,
  fractions: number[] | undefined,
  rng: Rng,
): number[] {
  const weights = fractions ?? Array<number>(numClasses).fill(1);
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * count);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, c) => [e - Math.floor(e), c] as const)
    .sort((a, b) => b[0] - a[0]);
  let left = count - counts.reduce((a, b) => a + b, 0);
  for (const [, c] of order) {
    if (left-- <= 0) break;
    counts[c] = (counts[c] as number) + 1;
  }
  const labels = counts.flatMap((k, c) => Array<number>(k).fill(c));
  return rng.shuffle(labels);
}

/** Per class: shuffled, then cut by the split fractions. */
function stratifiedSplits(
  labels: number[],
  numClasses: number,
  fractions: { train: number; val: number; test: number },
  rng: Rng,
): Split[] {
  const total = fractions.train + fractions.val + fractions.test;
  const out = Array<Split>(labels.length).fill("train");
  for (let c = 0; c < numClasses; c++) {
    const members = rng.shuffle(
      labels.flatMap((l, i) => (l === c ? [i] : [])),
    );
    const nTrain = Math.round((fractions.train / total) * members.length);
    const nVal = Math.round((fractions.val / total) * members.length);
    members.forEach((i, k) => {
      out[i] = k < nTrain ? "train" : k < nTrain + nVal ? "val" : "test";
    });
  }
  return out;
}
