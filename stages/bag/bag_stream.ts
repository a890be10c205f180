/**
 * The bag stage: the tile embeddings of a cohort in, its bags out as one
 * {@link BagSource} once the embeddings end. With a store the bags are read
 * from it one slide at a time when training asks (the embed stage wrote
 * them there; slides embedded by an earlier run count too), so memory stays
 * bounded by a few bags; without one they are grouped in memory.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";
import type { Bag, TileEmbedding } from "../../core/types.ts";
import { type BagSource, memoryBagSource } from "./bag_source.ts";
import {
  type BagsFromStoreOptions,
  StoreBagSource,
} from "./bags_from_store.ts";
import { type BagOptions, makeBag } from "./make_bag.ts";

/** Options of {@link BagStream}. */
export interface BagStreamOptions extends BagsFromStoreOptions {
  /**
   * The store the embed stage writes to: bags are read from it (labels and
   * splits default to its `slides` table). Without one, labels and splits
   * must be given and the bags are held in memory.
   */
  store?: Store;
}

/**
 * Embeddings in, one bag source out when they end. Without a store the
 * input must come slide by slide (as the embed stage emits it): a slide
 * that shows up again after another is an error, as is a slide without
 * label or split. With a store the embeddings only pace the stage and name
 * the encoder (unless `encoder` does).
 *
 * @example
 * ```ts
 * import { BagStream } from "./bag_stream.ts";
 * const e = (slideId: string, index: number) => ({
 *   slideId, index, x: index * 256, y: 0, encoder: "enc", features: new Float32Array([index, 1]),
 * });
 * const [source] = await Array.fromAsync(
 *   ReadableStream.from([e("a", 0), e("a", 1), e("b", 0)]).pipeThrough(
 *     new BagStream({ labels: new Map([["a", 1], ["b", 0]]), splits: new Map(), defaultSplit: "train" }),
 *   ),
 * );
 * if (source!.infos.length !== 2 || (await source!.read("a")).n !== 2) throw new Error();
 * ```
 */
export class BagStream extends TransformStream<TileEmbedding, BagSource> {
  /** Creates the stage. */
  constructor(options: BagStreamOptions = {}) {
    const { store, ...fromStore } = options;
    if (store) {
      let encoder = options.encoder;
      super({
        transform(tile) {
          encoder ??= tile.encoder;
        },
        async flush(controller) {
          controller.enqueue(
            await StoreBagSource.open(store, {
              ...fromStore,
              ...(encoder === undefined ? {} : { encoder }),
            }),
          );
        },
      });
      return;
    }
    const { labels, splits } = options;
    if (!labels || !splits) {
      throw new TypeError(
        "Cannot construct BagStream without a store as it needs labels and splits: current value has none",
      );
    }
    const bagOptions: BagOptions = { labels, splits };
    if (options.defaultSplit) bagOptions.defaultSplit = options.defaultSplit;
    const bags: Bag[] = [];
    let current: TileEmbedding[] = [];
    const done = new Set<string>();
    const close = () => {
      const slide = current[0]?.slideId;
      if (slide === undefined) return;
      bags.push(makeBag(slide, current, bagOptions));
      done.add(slide);
      current = [];
    };
    super({
      transform(tile) {
        if (tile.slideId !== current[0]?.slideId) close();
        if (done.has(tile.slideId)) {
          throw new Error(
            `Slide "${tile.slideId}" appears twice in the embedding stream (duplicate slide id?)`,
          );
        }
        current.push(tile);
      },
      flush(controller) {
        close();
        controller.enqueue(memoryBagSource(bags));
      },
    });
  }
}
