/**
 * The `tile` stage: slides in, tiles (pixels + level-0 coordinates, tissue
 * fraction, ground-truth label when known) out. Per slide: open with the
 * chosen reader, detect tissue on a thumbnail, lay the grid, read tiles with
 * a few reads in flight, then write the slide and its tiles to the store in
 * one transaction. A slide that cannot be read is recorded as failed and the
 * run goes on (unless `failFast`).
 *
 * @module
 */

import sharp from "sharp";
import type { SlideRef, Tile } from "../../pipeline/types.ts";
import type { TileRecord } from "../../data/records.ts";
import { loadTumourMask, tileLabel, type TumourMask } from "./ground_truth.ts";
import { openSlide } from "./open_slide.ts";
import type { SlideReader } from "./slide_reader.ts";
import { slideScale } from "./slide_scale.ts";
import { tileGrid } from "./tile_grid.ts";
import {
  type SlideTileResult,
  thumbnailDownsampleFor,
  tileParamsKey,
  type TileStreamOptions,
} from "./tile_options.ts";
import { tissueMask } from "./tissue_mask.ts";
import { writeTissueQc } from "./tissue_qc.ts";
import {
  saveFailedSlide,
  saveTiledSlide,
  storedSlide,
  storedTiles,
} from "./_tile_store.ts";

export type { SlideTileResult, TileStreamOptions } from "./tile_options.ts";

interface Job {
  x: number;
  y: number;
  level: number;
  readSize: number;
  extent: number;
  tissueFraction: number;
}

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
    for await (const slide of slides) yield* this.#slide(slide);
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

  async *#slide(slide: SlideRef): AsyncGenerator<Tile> {
    const started = performance.now();
    const o = this.#options;
    const params = tileParamsKey(slide, o);
    const rerun = o.rerun ?? "skip";
    let reuse = false;
    if (o.store && rerun !== "redo") {
      const previous = await storedSlide(o.store, slide.id);
      const done = previous &&
        (previous.status === "tiled" || previous.status === "empty") &&
        previous.tileParams === params;
      if (done && rerun === "skip") {
        this.#finish({
          slideId: slide.id,
          path: slide.path,
          status: "skipped",
          tiles: 0,
          note: "already tiled with the same parameters",
          seconds: (performance.now() - started) / 1000,
        });
        return;
      }
      reuse = Boolean(done);
    }
    let reader: SlideReader;
    try {
      reader = openSlide(slide.path, {
        reader: o.reader ?? "auto",
        ...(o.warn ? { warn: o.warn } : {}),
      });
    } catch (error) {
      await this.#fail(slide, started, error);
      return;
    }
    try {
      const base = reader.levelDimensions[0] ?? { width: 0, height: 0 };
      const scale = slideScale(slide, reader, o);
      const geometry = {
        id: slide.id,
        levelDimensions: reader.levelDimensions,
        levelDownsamples: reader.levelDownsamples,
        mpp: scale.mpp,
        magnification: scale.magnification,
      };
      let grid = tileGrid(geometry, undefined, { ...o, minTissue: 0 });
      let jobs: Job[];
      if (reuse && o.store) {
        jobs = (await storedTiles(o.store, slide.id)).map((t) => ({
          x: t.x,
          y: t.y,
          level: t.level,
          extent: t.size,
          readSize: Math.round(
            t.size / (reader.levelDownsamples[t.level] ?? 1),
          ),
          tissueFraction: t.tissue ?? 1,
        }));
      } else {
        const downsample = thumbnailDownsampleFor(
          base.width,
          base.height,
          o.thumbnailDownsample,
        );
        const thumbnail = await reader.thumbnail(downsample);
        const mask = tissueMask(thumbnail, o.tissue);
        grid = tileGrid(geometry, mask, o);
        if (o.qcDir) {
          await writeTissueQc(o.qcDir, slide.id, thumbnail, mask, grid);
        }
        jobs = grid.tiles.map((t) => ({
          ...t,
          level: grid.level,
          readSize: grid.readSize,
          extent: grid.extent,
        }));
      }
      const truth = await loadTumourMask(slide.path, base.width, base.height);
      const records: TileRecord[] = [];
      for await (
        const tile of this.#readTiles(
          slide.id,
          reader,
          jobs,
          grid.tileSize,
          truth,
        )
      ) {
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
      const status = reuse ? "reused" : jobs.length === 0 ? "empty" : "tiled";
      const note = jobs.length === 0
        ? `no tissue found on slide "${slide.id}" (all glass, or every tissue tile below minTissue ${
          o.minTissue ?? 0.5
        }): zero tiles`
        : undefined;
      if (note) (o.warn ?? console.warn)(`asmil tile: ${note}`);
      if (o.store && !reuse) {
        const { label, split } = slide;
        await saveTiledSlide(o.store, {
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
          tileParams: params,
        }, records);
      }
      this.#finish({
        slideId: slide.id,
        path: slide.path,
        status,
        tiles: records.length,
        ...(note ? { note } : {}),
        backend: reader.backend,
        level: grid.level,
        ...(scale.mpp !== undefined ? { mpp: scale.mpp } : {}),
        seconds: (performance.now() - started) / 1000,
      });
    } catch (error) {
      await this.#fail(slide, started, error);
    } finally {
      reader.close();
    }
  }

  async *#readTiles(
    slideId: string,
    reader: SlideReader,
    jobs: Job[],
    tileSize: number,
    truth: TumourMask | undefined,
  ): AsyncGenerator<Tile> {
    const minTumour = this.#options.minTumour ?? 0.1;
    const read = async (job: Job, index: number): Promise<Tile> => {
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
    const prefetch = this.#options.prefetch ?? 4;
    const inFlight: Promise<Tile>[] = [];
    let next = 0;
    const fill = () => {
      while (inFlight.length < prefetch && next < jobs.length) {
        const p = read(jobs[next] as Job, next++);
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
