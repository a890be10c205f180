/**
 * Bags from the run store: one per slide with embeddings from a given
 * encoder, with coordinates and tile ground truth from `tiles`.
 * {@link StoreBagSource} reads one slide per request (what training and
 * evaluation use); {@link bagsFromStore} reads them all, for small cohorts
 * and scripts.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import {
  embeddingDim,
  embeddingEncoders,
  slideEmbeddings,
  slideTiles,
} from "../../data/bag_queries.ts";
import type { Bag, Split } from "../../core/types.ts";
import type { BagInfo, BagSource } from "./bag_source.ts";
import { type BagOptions, labelAndSplit } from "./make_bag.ts";

/** Options of {@link StoreBagSource.open} and {@link bagsFromStore}. */
export interface BagsFromStoreOptions extends Partial<BagOptions> {
  /** Encoder whose embeddings to use; default: the only one in the store. */
  encoder?: string;
  /** Only these slides (default: every slide with embeddings). */
  slides?: readonly string[];
}

/**
 * The store's bags as a {@link BagSource}: metadata from one query at
 * open, each bag's features, coordinates and tile labels read when asked.
 * Labels default to `slides.label` (class indices) and splits to
 * `slides.split`, each overridable; slides that the labels or splits leave
 * out are errors naming them. A read checks that every feature is finite.
 *
 * @example
 * ```ts ignore
 * const source = await StoreBagSource.open(store, { encoder: "mobilenetv2-nsfwjs" });
 * const first = await source.read(source.infos[0]!.slideId);
 * ```
 */
export class StoreBagSource implements BagSource {
  readonly infos: readonly BagInfo[];
  /** Encoder whose embeddings are read. */
  readonly encoder: string;
  readonly #store: Store;
  readonly #byId: Map<string, BagInfo>;

  private constructor(store: Store, encoder: string, infos: BagInfo[]) {
    this.#store = store;
    this.encoder = encoder;
    this.infos = infos;
    this.#byId = new Map(infos.map((i) => [i.slideId, i]));
  }

  /** Reads the metadata of the store's bags. */
  static async open(
    store: Store,
    options: BagsFromStoreOptions = {},
  ): Promise<StoreBagSource> {
    const encoder = await chooseEncoder(store, options.encoder);
    const slides = (await store.embeddedSlides(encoder)).filter((s) =>
      !options.slides || options.slides.includes(s.slide)
    );
    const labels = new Map(options.labels ?? []);
    const splits = new Map(options.splits ?? []);
    for (const s of slides) {
      if (!options.labels && s.label !== null && /^\d+$/.test(s.label)) {
        labels.set(s.slide, Number(s.label));
      }
      if (!options.splits && s.split) splits.set(s.slide, s.split as Split);
    }
    const bagOptions: BagOptions = { labels, splits };
    if (options.defaultSplit) bagOptions.defaultSplit = options.defaultSplit;
    const dim = await embeddingDim(store, encoder);
    const infos = slides.map((s) => ({
      slideId: s.slide,
      n: s.n,
      dim,
      ...labelAndSplit(s.slide, bagOptions),
    }));
    return new StoreBagSource(store, encoder, infos);
  }

  /** Reads one slide's bag from the store. */
  async read(slideId: string): Promise<Bag> {
    const info = this.#byId.get(slideId);
    if (!info) {
      throw new Error(
        `Slide "${slideId}" has no embeddings from encoder ${this.encoder} in ${this.#store.path}`,
      );
    }
    const { tiles, features } = await slideEmbeddings(
      this.#store,
      slideId,
      this.encoder,
      info.n,
      info.dim,
    );
    checkFinite(slideId, tiles, features, info.dim);
    const annotations = await slideTiles(this.#store, slideId, tiles);
    const bag: Bag = { ...info, features, coords: annotations.coords };
    if (annotations.labelled) {
      bag.tileLabels = annotations.labels.map((l) => Math.max(0, l));
    }
    return bag;
  }
}

/**
 * Every bag of the store, in memory. Fine for small cohorts and scripts;
 * training and evaluation read through {@link StoreBagSource} instead.
 *
 * @example
 * ```ts ignore
 * const bags = await bagsFromStore(store, { encoder: "mobilenetv2-nsfwjs" });
 * ```
 */
export async function bagsFromStore(
  store: Store,
  options: BagsFromStoreOptions = {},
): Promise<Bag[]> {
  const source = await StoreBagSource.open(store, options);
  const bags: Bag[] = [];
  for (const info of source.infos) bags.push(await source.read(info.slideId));
  return bags;
}

async function chooseEncoder(
  store: Store,
  wanted: string | undefined,
): Promise<string> {
  const encoders = await embeddingEncoders(store);
  const encoder = wanted ?? encoders[0];
  if (encoder === undefined) {
    throw new Error(`Run store ${store.path} has no embeddings yet`);
  }
  if (!encoders.includes(encoder)) {
    throw new Error(
      `Run store ${store.path} has no embeddings from encoder "${encoder}": it has ${
        encoders.join(", ") || "none"
      }`,
    );
  }
  if (wanted === undefined && encoders.length > 1) {
    throw new Error(
      `Run store ${store.path} has embeddings from several encoders (${
        encoders.join(", ")
      }): name one`,
    );
  }
  return encoder;
}

function checkFinite(
  slideId: string,
  tiles: Int32Array,
  features: Float32Array,
  dim: number,
): void {
  for (let k = 0; k < features.length; k++) {
    if (!Number.isFinite(features[k]!)) {
      const row = Math.floor(k / dim);
      throw new Error(
        `Slide "${slideId}": tile ${tiles[row]} has a non-finite feature (${
          features[k]
        }) at dimension ${k - row * dim}`,
      );
    }
  }
}
