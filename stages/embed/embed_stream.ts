/**
 * The `embed` stage: `Tile → TileEmbedding`, batched, with the next batch's
 * resize/normalise (and the upstream tile decoding) overlapped with the
 * running inference, and each slide's embeddings stored in one transaction.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { Tile, TileEmbedding } from "../../core/types.ts";
import type { Encoder } from "./encoder.ts";
import { claimEncoderName } from "./encoder_registry.ts";

/** Options of {@linkcode EmbedStream}. */
export interface EmbedStreamOptions {
  /** The encoder; the stage does not close it. */
  encoder: Encoder;
  /** Tiles per inference call (default 32). */
  batchSize?: number;
  /** Where each slide's embeddings are written, one transaction per slide. */
  store?: Store;
  /** Recompute slides that already have embeddings from this encoder (default false). */
  overwrite?: boolean;
  /**
   * On a slide that fails: `"abort"` (default) errors the stream;
   * `"skip"` records the failure in the store, drops the slide and goes on.
   */
  onSlideError?: "abort" | "skip";
  /** Called once per finished slide. */
  onSlide?: (event: SlideEmbedded) => void;
}

/** What happened to one slide. */
export interface SlideEmbedded {
  slideId: string;
  tiles: number;
  status: "embedded" | "skipped" | "failed";
  error?: string;
}

/** What is kept of a tile once its pixels are prepared. */
type TileMeta = Pick<Tile, "index" | "x" | "y" | "label">;

interface SlideState {
  id: string;
  /** Every tile of the slide so far, without pixels (a slide can be large). */
  tiles: TileMeta[];
  rows: (Float32Array | undefined)[];
  error?: Error;
  /** Stored features by tile index, when the slide is already done. */
  stored?: Map<number, Float32Array>;
  batch: Tile[];
  /** The slide's last inference. */
  last?: Promise<void>;
}

/**
 * Embeds tiles with `encoder`. Tiles must arrive grouped by slide (as the
 * tile stage emits them); a slide's embeddings are emitted (and stored)
 * once all its tiles are embedded, so a failing slide leaves no partial
 * rows. Slides whose embeddings from this encoder are already in the store
 * are not recomputed: their stored features are emitted instead. With a
 * store, the encoder's name must stand for the same model as when it was
 * first used there (see `encoder_registry.ts`).
 *
 * @example
 * ```ts ignore
 * import { EmbedStream } from "./embed_stream.ts";
 * const embeddings = await Array.fromAsync(
 *   ReadableStream.from(tiles).pipeThrough(new EmbedStream({ encoder, batchSize: 32, store })),
 * );
 * ```
 */
export class EmbedStream extends TransformStream<Tile, TileEmbedding> {
  /** Creates the stage. */
  constructor(options: EmbedStreamOptions) {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new RangeError(
        `Cannot construct EmbedStream as batchSize must be a positive integer: current value is ${batchSize}`,
      );
    }
    const core = new EmbedCore(options, batchSize);
    super({
      start: (controller) => core.start(controller),
      transform: (tile) => core.add(tile),
      flush: () => core.finish(),
    });
  }
}

class EmbedCore {
  #o: EmbedStreamOptions;
  #batchSize: number;
  #controller!: TransformStreamDefaultController<TileEmbedding>;
  #current: SlideState | undefined;
  #seen = new Set<string>();
  #done: Set<string> | undefined;
  /** The encoder's name checked against (or recorded in) the store. */
  #claimed: Promise<void> | undefined;
  /** The inference in flight (never rejects; errors land on the slide). */
  #inflight: Promise<void> = Promise.resolve();
  /** Finished slides being stored and emitted, in order. */
  #tail: Promise<void> = Promise.resolve();
  #fatal: Error | undefined;

  constructor(options: EmbedStreamOptions, batchSize: number) {
    this.#o = options;
    this.#batchSize = batchSize;
  }

  start(controller: TransformStreamDefaultController<TileEmbedding>): void {
    this.#controller = controller;
  }

  async add(tile: Tile): Promise<void> {
    if (this.#fatal) return await this.#abort();
    if (this.#current?.id !== tile.slideId) {
      if (this.#current) this.#close(this.#current);
      if (this.#seen.has(tile.slideId)) {
        throw new Error(
          `Tile ${tile.index} of slide ${tile.slideId} arrived after that slide's tiles ended: the embed stage expects tiles grouped by slide`,
        );
      }
      this.#seen.add(tile.slideId);
      this.#current = await this.#open(tile.slideId);
    }
    const s = this.#current!;
    if (s.error) return; // the slide already failed (skip mode): drop its tiles
    const meta: TileMeta = { index: tile.index, x: tile.x, y: tile.y };
    if (tile.label !== undefined) meta.label = tile.label;
    s.tiles.push(meta);
    if (s.stored) return;
    s.batch.push(tile);
    if (s.batch.length >= this.#batchSize) await this.#launch(s);
  }

  async finish(): Promise<void> {
    if (this.#current) this.#close(this.#current);
    await this.#tail;
    if (this.#fatal) throw this.#fatal;
  }

  /** Lets finished slides reach the store, then fails the stream. */
  async #abort(): Promise<never> {
    await this.#tail;
    throw this.#fatal;
  }

  async #open(slideId: string): Promise<SlideState> {
    const s: SlideState = { id: slideId, tiles: [], rows: [], batch: [] };
    const store = this.#o.store;
    if (!store) return s;
    const { name, fingerprint, source, dim } = this.#o.encoder;
    this.#claimed ??= claimEncoderName(store, {
      name,
      fingerprint,
      source,
      dim,
    });
    await this.#claimed;
    if (this.#o.overwrite) return s;
    const encoder = name;
    this.#done ??= await store.embeddedSlideIds(encoder);
    if (!this.#done.has(slideId)) return s;
    s.stored = await store.storedEmbeddings(slideId, encoder);
    return s;
  }

  /**
   * Prepares the slide's pending batch (overlapping the inference in flight),
   * chains its inference after the previous one, and waits for that previous
   * one: one batch runs while the next is prepared.
   */
  async #launch(s: SlideState): Promise<void> {
    const batch = s.batch;
    s.batch = [];
    const first = s.tiles.length - batch.length;
    let prepared: ReturnType<Encoder["prepare"]>;
    try {
      prepared = this.#o.encoder.prepare(batch);
    } catch (error) {
      this.#fail(s, error);
      return;
    }
    const previous = this.#inflight;
    const run = previous.then(() =>
      s.error ? undefined : this.#o.encoder.infer(prepared).then(
        (rows) => rows.forEach((row, i) => s.rows[first + i] = row),
        (error) => this.#fail(s, error),
      )
    );
    this.#inflight = s.last = run;
    await previous;
  }

  #close(s: SlideState): void {
    if (s.batch.length > 0 && !s.error) void this.#launch(s);
    const last = s.last, previous = this.#tail;
    this.#tail = (async () => {
      await last;
      await previous;
      await this.#emit(s);
    })().catch((error) => {
      this.#fatal ??= error instanceof Error ? error : new Error(String(error));
    });
  }

  async #emit(s: SlideState): Promise<void> {
    const { encoder, store, onSlide } = this.#o;
    if (s.error) {
      if (this.#o.onSlideError !== "skip") throw s.error;
      await store?.recordFailure("embed", s.id, s.error);
      onSlide?.({
        slideId: s.id,
        tiles: s.tiles.length,
        status: "failed",
        error: s.error.message,
      });
      return;
    }
    const features = s.tiles.map((t, i) => {
      const row = s.stored ? s.stored.get(t.index) : s.rows[i];
      if (!row) {
        throw new Error(
          `Slide ${s.id} has stored embeddings from encoder ${encoder.name} but none for tile ${t.index}: the tiling changed; rerun with overwrite`,
        );
      }
      return row;
    });
    if (store && !s.stored) {
      await store.slideTransaction(s.id, (tx) =>
        tx.replaceEmbeddings(
          s.id,
          encoder.name,
          s.tiles.map((t, i) => ({ tile: t.index, features: features[i]! })),
        ));
    }
    s.tiles.forEach((t, i) => {
      const e: TileEmbedding = {
        slideId: s.id,
        index: t.index,
        x: t.x,
        y: t.y,
        encoder: encoder.name,
        features: features[i]!,
      };
      if (t.label !== undefined) e.label = t.label;
      this.#controller.enqueue(e);
    });
    onSlide?.({
      slideId: s.id,
      tiles: s.tiles.length,
      status: s.stored ? "skipped" : "embedded",
    });
  }

  #fail(s: SlideState, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    s.error ??= new Error(
      message.includes(s.id) ? message : `Slide ${s.id}: ${message}`,
      { cause: error },
    );
    s.batch = [];
    if (this.#o.onSlideError !== "skip") this.#fatal ??= s.error;
  }
}
