/**
 * The `tile` stage: slides in, tiles (pixels + level-0 coordinates, tissue
 * fraction, ground-truth label when known) out. Per slide: open with the
 * chosen reader, detect tissue on a thumbnail, lay the grid (the next slide
 * is prepared while the current one is read), read tiles with a few reads in
 * flight, then write the slide and its tiles to the store in one
 * transaction. A slide that cannot be read is recorded as failed and the
 * run goes on (unless `failFast`).
 *
 * @module
 */

import sharp from "sharp";
import type { SlideRef, Tile } from "../../core/types.ts";
import type { TileRecord } from "../../data/records.ts";
import { tileLabel } from "./ground_truth.ts";
import type { SlideTileResult, TileStreamOptions } from "./tile_options.ts";
import {
  type Preparation,
  type PreparedSlide,
  prepareSlide,
  type TileJob,
} from "./_prepare_slide.ts";
import { saveFailedSlide, saveTiledSlide } from "./_tile_store.ts";

export type { SlideTileResult, TileStreamOptions } from "./tile_options.ts";

/**
 * Cuts slides into tiles. A readable/writable pair (like `CompressionStream`)
 * rather than a `TransformStream` subclass, so one slide's thousands of tiles
 * are read only as fast as the consumer pulls them.
 *
 * @example
 * ```ts ignore
 * import { TileStream } from "./tile_stream.ts";
 * const stage = new TileStream({ tileSize: 256, mpp: 0.5, minTissue: 0.5 });
 * const tiles = await Array.fromAsync(
 *   ReadableStream.from([{ id: "s1", path: "s1.tiff" }]).pipeThrough(stage),
 * );
 * console.log(tiles.length, stage.results[0]?.status);
 * ```
 */
export class TileStream implements TransformStream<SlideRef, Tile> {
  readonly readable: ReadableStream<Tile>;
  readonly writable: WritableStream<SlideRef>;
  #options: TileStreamOptions;
  #results: SlideTileResult[] = [];
  /** Store writes and results, in slide order, behind the tile reads. */
  #writes: Promise<void> = Promise.resolve();

  /** Creates the stage; option errors throw here, slide errors per slide. */
  constructor(options: TileStreamOptions = {}) {
    const prefetch = options.prefetch ?? 4;
    if (!Number.isInteger(prefetch) || prefetch < 1) {
      throw new RangeError(
        `Cannot construct TileStream as prefetch must be a positive integer: current value is ${prefetch}`,
      );
    }
    const size = options.tileSize ?? 256;
    if (!Number.isInteger(size) || size <= 0) {
      throw new RangeError(
        `Cannot construct TileStream as tileSize must be a positive integer: current value is ${size}`,
      );
    }
    this.#options = options;
    const slides = new TransformStream<SlideRef, SlideRef>(undefined, {
      highWaterMark: 1,
    }, {
      highWaterMark: 0,
    });
    this.writable = slides.writable;
    this.readable = ReadableStream.from(this.#run(slides.readable));
  }

  /** One result per slide seen so far, in input order. */
  get results(): readonly SlideTileResult[] {
    return this.#results;
  }

  async *#run(slides: ReadableStream<SlideRef>): AsyncGenerator<Tile> {
    const input = slides.getReader();
    // The next slide is read and prepared (opened, tissue found, grid laid)
    // while the current one's tiles are read.
    const upcoming = () =>
      input.read().then((
        r,
      ) => (r.done ? undefined : prepareSlide(r.value, this.#options)));
    let next = upcoming();
    try {
      for (let prepared = await next; prepared; prepared = await next) {
        next = upcoming();
        next.catch(() => {});
        yield* this.#slide(prepared);
      }
      await this.#writes;
    } finally {
      await input.cancel();
      const pending = await next.catch(() => undefined);
      if (pending?.kind === "ready") pending.reader.close();
    }
  }

  /** Queues `task` after earlier slides' writes; the returned promise settles with it. */
  #enqueue(task: () => void | Promise<void>): Promise<void> {
    this.#writes = this.#writes.then(task);
    // A failFast error is rethrown where the chain is awaited, not reported as unhandled.
    this.#writes.catch(() => {});
    return this.#writes;
  }

  #finish(result: SlideTileResult): void {
    this.#results.push(result);
    this.#options.onSlide?.(result);
  }

  async #fail(slide: SlideRef, started: number, error: unknown): Promise<void> {
    let message = error instanceof Error ? error.message : String(error);
    if (!message.includes(slide.id) && !message.includes(slide.path)) {
      message = `Slide "${slide.id}" (${slide.path}): ${message}`;
    }
    const store = this.#options.store;
    if (store) {
      const { label, split } = slide;
      await saveFailedSlide(store, {
        id: slide.id,
        path: slide.path,
        ...(label !== undefined ? { label } : {}),
        ...(split !== undefined ? { split } : {}),
      }, message);
    }
    this.#finish({
      slideId: slide.id,
      path: slide.path,
      status: "failed",
      tiles: 0,
      error: message,
      seconds: (performance.now() - started) / 1000,
    });
    if (this.#options.failFast) throw new Error(message, { cause: error });
  }

  async *#slide(prepared: Preparation): AsyncGenerator<Tile> {
    const started = performance.now();
    const { slide } = prepared;
    if (prepared.kind === "skipped") {
      this.#enqueue(() =>
        this.#finish({
          slideId: slide.id,
          path: slide.path,
          status: "skipped",
          tiles: 0,
          note: "already tiled with the same parameters",
          seconds: 0,
        })
      );
      return;
    }
    if (prepared.kind === "failed") {
      await this.#enqueue(() => this.#fail(slide, started, prepared.error));
      return;
    }
    const o = this.#options;
    const { reader, scale, jobs, reused } = prepared;
    try {
      const records: TileRecord[] = [];
      for await (const tile of this.#readTiles(prepared)) {
        records.push({
          tile: tile.index,
          x: tile.x,
          y: tile.y,
          size: tile.size,
          level: tile.level,
          tissue: tile.tissueFraction,
          label: tile.label ?? null,
        });
        yield tile;
      }
      const status = reused ? "reused" : jobs.length === 0 ? "empty" : "tiled";
      const note = jobs.length === 0
        ? `no tissue found on slide "${slide.id}" (all glass, or every tissue tile below minTissue ${
          o.minTissue ?? 0.5
        }): zero tiles`
        : undefined;
      if (note) (o.warn ?? console.warn)(`asmil tile: ${note}`);
      const { label, split } = slide;
      const base = reader.levelDimensions[0] ?? { width: 0, height: 0 };
      const record = {
        id: slide.id,
        path: slide.path,
        ...(label !== undefined ? { label } : {}),
        ...(split !== undefined ? { split } : {}),
        mpp: scale.mpp ?? null,
        magnification: scale.magnification ?? null,
        width: base.width,
        height: base.height,
        vendor: reader.vendor,
        status,
        error: null,
        tileParams: prepared.params,
      };
      const result: SlideTileResult = {
        slideId: slide.id,
        path: slide.path,
        status,
        tiles: records.length,
        ...(note ? { note } : {}),
        backend: reader.backend,
        level: prepared.level,
        ...(scale.mpp !== undefined ? { mpp: scale.mpp } : {}),
        seconds: (performance.now() - started) / 1000,
      };
      // Not awaited: the next slide's tiles flow while this slide is written.
      this.#enqueue(async () => {
        try {
          if (o.store && !reused) {
            await saveTiledSlide(o.store, record, records);
          }
          this.#finish(result);
        } catch (error) {
          await this.#fail(slide, started, error);
        }
      });
    } catch (error) {
      await this.#enqueue(() => this.#fail(slide, started, error));
    } finally {
      reader.close();
    }
  }

  async *#readTiles(prepared: PreparedSlide): AsyncGenerator<Tile> {
    const { reader, jobs, tileSize, truth } = prepared;
    const slideId = prepared.slide.id;
    const minTumour = this.#options.minTumour ?? 0.1;
    const read = async (job: TileJob, index: number): Promise<Tile> => {
      let rgb = await reader.readRegion(
        job.x,
        job.y,
        job.level,
        job.readSize,
        job.readSize,
      );
      if (job.readSize !== tileSize) {
        const raw = {
          width: job.readSize,
          height: job.readSize,
          channels: 3 as const,
        };
        const buf = await sharp(rgb, { raw }).resize(tileSize, tileSize, {
          fit: "fill",
        }).raw().toBuffer();
        rgb = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      return {
        slideId,
        index,
        x: job.x,
        y: job.y,
        size: job.extent,
        level: job.level,
        tissueFraction: job.tissueFraction,
        ...(truth
          ? { label: tileLabel(truth, job.x, job.y, job.extent, minTumour) }
          : {}),
        rgb,
        width: tileSize,
        height: tileSize,
      };
    };
    const prefetch = this.#options.prefetch ?? 8;
    const inFlight: Promise<Tile>[] = [];
    let next = 0;
    const fill = () => {
      while (inFlight.length < prefetch && next < jobs.length) {
        const p = read(jobs[next] as TileJob, next++);
        p.catch(() => {}); // handled when its turn comes; avoids an unhandled rejection
        inFlight.push(p);
      }
    };
    try {
      fill();
      while (inFlight.length > 0) {
        const tile = await (inFlight.shift() as Promise<Tile>);
        fill();
        yield tile;
      }
    } finally {
      // The reader is closed after this returns; no read may still be running.
      await Promise.allSettled(inFlight);
    }
  }
}
