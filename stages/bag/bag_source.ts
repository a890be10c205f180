/**
 * Where training and evaluation get their bags: every bag's metadata up
 * front (slide, size, label, split), its features only when asked, one
 * slide at a time. A cohort of 400 slides × 10,000 tiles × 1024-d (16 GB)
 * is never held at once: the trainer reads the bags of each epoch in order
 * through a {@link BagSourceStream} with a small prefetch.
 *
 * Implementations: {@link memoryBagSource} (bags already in memory),
 * `StoreBagSource` (store_bag_source.ts, one slide per read from the run
 * store); wrappers: {@link withSplits}, {@link cachedBagSource}.
 *
 * @module
 */
import type { Bag, Split } from "../../core/types.ts";

/** What is known of a bag without reading its features. */
export interface BagInfo {
  slideId: string;
  /** Instances (tiles). */
  n: number;
  /** Feature dimension. */
  dim: number;
  /** Class index. */
  label: number;
  split: Split;
}

/** Bags by slide: metadata for all, features on demand. */
export interface BagSource {
  /** Every bag's metadata, in a stable order (by slide id for stores). */
  readonly infos: readonly BagInfo[];
  /** Reads one bag; its `split` and `label` agree with its info. */
  read(slideId: string): Promise<Bag>;
}

/** The metadata of a bag. */
export function bagInfo(bag: Bag): BagInfo {
  return {
    slideId: bag.slideId,
    n: bag.n,
    dim: bag.dim,
    label: bag.label,
    split: bag.split,
  };
}

/**
 * A source over bags already in memory.
 *
 * @example
 * ```ts
 * import { memoryBagSource } from "./bag_source.ts";
 * const source = memoryBagSource([{
 *   slideId: "a", features: new Float32Array(2), n: 1, dim: 2, label: 1, split: "train",
 * }]);
 * if ((await source.read("a")).label !== 1) throw new Error();
 * ```
 */
export function memoryBagSource(bags: readonly Bag[]): BagSource {
  const byId = new Map(bags.map((b) => [b.slideId, b]));
  if (byId.size !== bags.length) {
    const seen = new Set<string>();
    const twice = bags.find((b) => seen.size === seen.add(b.slideId).size);
    throw new Error(
      `Bags must have distinct slide ids: "${twice?.slideId}" appears twice`,
    );
  }
  return {
    infos: bags.map(bagInfo),
    read(slideId) {
      const bag = byId.get(slideId);
      return bag
        ? Promise.resolve(bag)
        : Promise.reject(new Error(`No bag for slide "${slideId}"`));
    },
  };
}

/**
 * `source` with the splits in `splits` (slides it leaves out keep theirs).
 *
 * @example
 * ```ts ignore
 * const split = withSplits(source, stratifiedKFold(labels, 5, 0, seed));
 * ```
 */
export function withSplits(
  source: BagSource,
  splits: ReadonlyMap<string, Split>,
): BagSource {
  return {
    infos: source.infos.map((info) => ({
      ...info,
      split: splits.get(info.slideId) ?? info.split,
    })),
    async read(slideId) {
      const bag = await source.read(slideId);
      const split = splits.get(slideId);
      return split === undefined || split === bag.split
        ? bag
        : { ...bag, split };
    },
  };
}

/** Bytes the bags of `infos` take in memory (features, coordinates, tile labels). */
export function cohortBytes(infos: readonly BagInfo[]): number {
  return infos.reduce((sum, i) => sum + i.n * (4 * i.dim + 8 + 1), 0);
}

/**
 * `source` with every bag kept in memory after its first read when the
 * whole cohort fits in `maxBytes` ({@link cohortBytes}); otherwise `source`
 * itself, read every time. All or nothing: a partial cache of a cohort
 * read in a new random order each epoch saves little and holds memory a
 * large cohort needs for its bags in flight.
 *
 * @example
 * ```ts ignore
 * const source = cachedBagSource(await StoreBagSource.open(store), 512 * 2 ** 20);
 * ```
 */
export function cachedBagSource(
  source: BagSource,
  maxBytes: number,
): BagSource {
  if (!(maxBytes >= 0)) {
    throw new RangeError(
      `Cannot cache bags as maxBytes must be non-negative: current value is ${maxBytes}`,
    );
  }
  if (cohortBytes(source.infos) > maxBytes) return source;
  const kept = new Map<string, Promise<Bag>>();
  return {
    infos: source.infos,
    read(slideId) {
      let bag = kept.get(slideId);
      if (!bag) {
        bag = source.read(slideId);
        kept.set(slideId, bag);
        // A failed read is not kept: the next one tries again.
        bag.catch(() => kept.delete(slideId));
      }
      return bag;
    },
  };
}

/** Options of {@link BagSourceStream}. */
export interface BagSourceStreamOptions {
  /** Bags read ahead of the one being consumed; default 2. */
  prefetch?: number;
}

/**
 * The bags of `slideIds`, in that order, read from `source` with up to
 * `prefetch` reads in flight ahead of the consumer (so reading the next
 * bag overlaps the work on this one). Memory: at most `prefetch + 1` bags
 * beyond what the consumer keeps.
 *
 * @example
 * ```ts
 * import { BagSourceStream, memoryBagSource } from "./bag_source.ts";
 * const bag = (id: string) => ({
 *   slideId: id, features: new Float32Array(1), n: 1, dim: 1, label: 0, split: "train" as const,
 * });
 * const source = memoryBagSource([bag("a"), bag("b")]);
 * const read = await Array.fromAsync(new BagSourceStream(source, ["b", "a"]));
 * if (read.map((b) => b.slideId).join() !== "b,a") throw new Error();
 * ```
 */
export class BagSourceStream extends ReadableStream<Bag> {
  /** Streams the bags of `slideIds` from `source`. */
  constructor(
    source: BagSource,
    slideIds: readonly string[],
    options: BagSourceStreamOptions = {},
  ) {
    const prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new RangeError(
        `Cannot construct BagSourceStream as prefetch must be a non-negative integer: current value is ${prefetch}`,
      );
    }
    let next = 0;
    const pending: Promise<Bag>[] = [];
    const topUp = () => {
      while (pending.length <= prefetch && next < slideIds.length) {
        const read = source.read(slideIds[next++]!);
        // Surfaced when its turn comes; not an unhandled rejection before.
        read.catch(() => {});
        pending.push(read);
      }
    };
    super({
      async pull(controller) {
        topUp();
        const head = pending.shift();
        if (head === undefined) {
          controller.close();
          return;
        }
        controller.enqueue(await head);
        topUp();
      },
    }, { highWaterMark: 0 });
  }
}
