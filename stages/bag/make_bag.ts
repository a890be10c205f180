/**
 * A MIL bag from one slide's tile embeddings, with its label and split.
 *
 * @module
 */
import type { Bag, Split, TileEmbedding } from "../../core/types.ts";

/** Where labels and splits come from. */
export interface BagOptions {
  /** Slide id → class index. A slide without one is an error. */
  labels: ReadonlyMap<string, number>;
  /** Slide id → split. A slide without one is an error unless `defaultSplit`. */
  splits: ReadonlyMap<string, Split>;
  /** Split of slides absent from `splits`. */
  defaultSplit?: Split;
}

/** Checks a slide has a label and a split; returns them. */
export function labelAndSplit(
  slideId: string,
  options: BagOptions,
): { label: number; split: Split } {
  const label = options.labels.get(slideId);
  if (label === undefined) {
    throw new Error(`Slide "${slideId}" has no label in the labels table`);
  }
  const split = options.splits.get(slideId) ?? options.defaultSplit;
  if (split === undefined) {
    throw new Error(
      `Slide "${slideId}" is in no split (train/val/test): add it to the split file or give a default`,
    );
  }
  return { label, split };
}

/**
 * Builds a bag from one slide's embeddings (in tile order), checking that
 * there is at least one, that dimensions agree and that all are finite.
 */
export function makeBag(
  slideId: string,
  tiles: readonly TileEmbedding[],
  options: BagOptions,
): Bag {
  if (tiles.length === 0) {
    throw new Error(`Slide "${slideId}" has no tiles: its bag would be empty`);
  }
  const { label, split } = labelAndSplit(slideId, options);
  const dim = tiles[0]!.features.length;
  const features = new Float32Array(tiles.length * dim);
  const coords = new Int32Array(tiles.length * 2);
  const tileLabels = new Int8Array(tiles.length);
  let hasTileLabels = false;
  tiles.forEach((t, i) => {
    if (t.features.length !== dim) {
      throw new Error(
        `Slide "${slideId}": tile ${t.index} has ${t.features.length} features, expected ${dim} like its first tile`,
      );
    }
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(t.features[j] as number)) {
        throw new Error(
          `Slide "${slideId}": tile ${t.index} has a non-finite feature (${
            t.features[j]
          }) at dimension ${j}`,
        );
      }
    }
    features.set(t.features, i * dim);
    coords[2 * i] = t.x;
    coords[2 * i + 1] = t.y;
    if (t.label !== undefined) {
      tileLabels[i] = t.label;
      hasTileLabels = true;
    }
  });
  const bag: Bag = {
    slideId,
    features,
    n: tiles.length,
    dim,
    coords,
    label,
    split,
  };
  if (hasTileLabels) bag.tileLabels = tileLabels;
  return bag;
}
