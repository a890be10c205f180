/**
 * Bags read back from the run store: one per slide with embeddings from a
 * given encoder, with coordinates and tile ground truth from `tiles`.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type { Bag, TileEmbedding } from "../../pipeline/types.ts";
import { type BagOptions, makeBag } from "./bag_stream.ts";

/** Options of {@link bagsFromStore}. */
export interface BagsFromStoreOptions extends Partial<BagOptions> {
  /** Encoder whose embeddings to use; default: the only one in the store. */
  encoder?: string;
  /** Only these slides (default: every slide with embeddings). */
  slides?: readonly string[];
}

/**
 * Loads bags from the store. Labels default to `slides.label` (class
 * indices) and splits to `slides.split`, each overridable; slides that the
 * labels or splits leave out are errors naming them.
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
  const encoders = (await store.query(
    "SELECT DISTINCT encoder FROM embeddings ORDER BY 1",
  )).map((r) => String(r.encoder));
  const encoder = options.encoder ?? encoders[0];
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
  if (options.encoder === undefined && encoders.length > 1) {
    throw new Error(
      `Run store ${store.path} has embeddings from several encoders (${
        encoders.join(", ")
      }): name one`,
    );
  }
  const slides = (await store.query(
    `SELECT s.id, s.label, s.split FROM slides s
     WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.slide = s.id AND e.encoder = ?)
     UNION
     SELECT DISTINCT e.slide, NULL, NULL FROM embeddings e
     WHERE e.encoder = ? AND NOT EXISTS (SELECT 1 FROM slides s WHERE s.id = e.slide)
     ORDER BY 1`,
    [encoder, encoder],
  )).filter((r) => !options.slides || options.slides.includes(String(r.id)));
  const labels = new Map(options.labels ?? []);
  const splits = new Map(options.splits ?? []);
  if (!options.labels) {
    for (const s of slides) {
      if (s.label !== null && /^\d+$/.test(String(s.label))) {
        labels.set(String(s.id), Number(s.label));
      }
    }
  }
  if (!options.splits) {
    for (const s of slides) {
      if (s.split) splits.set(String(s.id), s.split as "train");
    }
  }
  const bagOptions: BagOptions = { labels, splits };
  if (options.defaultSplit) bagOptions.defaultSplit = options.defaultSplit;
  const bags: Bag[] = [];
  for (const s of slides) {
    const id = String(s.id);
    const rows = await store.query(
      `SELECT e.tile, e.features, t.x, t.y, t.label
       FROM embeddings e LEFT JOIN tiles t ON t.slide = e.slide AND t.tile = e.tile
       WHERE e.slide = ? AND e.encoder = ? ORDER BY e.tile`,
      [id, encoder],
    );
    const tiles: TileEmbedding[] = rows.map((r) => {
      const t: TileEmbedding = {
        slideId: id,
        index: Number(r.tile),
        x: Number(r.x ?? 0),
        y: Number(r.y ?? 0),
        encoder,
        features: Float32Array.from(r.features as number[]),
      };
      if (r.label !== null && r.label !== undefined) t.label = Number(r.label);
      return t;
    });
    bags.push(makeBag(id, tiles, bagOptions));
  }
  return bags;
}
