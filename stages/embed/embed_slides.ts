/**
 * `asmil embed` in one call: opens the encoder, runs tiles through
 * {@linkcode EmbedStream} into the store and reports what it did.
 *
 * @module
 */

import type { Store } from "../../data/store.ts";
import type { Tile } from "../../core/types.ts";
import type { Encoder } from "./encoder.ts";
import { EmbedStream, type SlideEmbedded } from "./embed_stream.ts";
import { openEncoder, type OpenEncoderOptions } from "./open_encoder.ts";

/** Options of {@linkcode embedSlides}. */
export interface EmbedSlidesOptions extends OpenEncoderOptions {
  /** Tiles, grouped by slide (the tile stage's output). */
  tiles: ReadableStream<Tile> | AsyncIterable<Tile> | Iterable<Tile>;
  /** The run store the embeddings go to. */
  store: Store;
  /** `mobilenet_v2` (default), an `.onnx` path, or an open encoder (left open). */
  encoder?: string | Encoder;
  /** Tiles per inference call (default 32). */
  batchSize?: number;
  /** Recompute slides already embedded with this encoder. */
  overwrite?: boolean;
  /** `"skip"` (default here) records failed slides and goes on; `"abort"` stops. */
  onSlideError?: "abort" | "skip";
  /** Progress callback, once per slide. */
  onSlide?: (event: SlideEmbedded) => void;
}

/** What {@linkcode embedSlides} did. */
export interface EmbedSummary {
  encoder: string;
  dim: number;
  embedded: string[];
  skipped: string[];
  failed: { slideId: string; error: string }[];
  /** Tiles embedded in this call (skipped slides not counted). */
  tiles: number;
  seconds: number;
}

/**
 * Embeds every slide's tiles into `store`, skipping slides already done.
 *
 * @example
 * ```ts ignore
 * import { embedSlides } from "./embed_slides.ts";
 * const summary = await embedSlides({ tiles, store, encoder: "mobilenet_v2", batchSize: 32, threads: 2 });
 * console.log(`${summary.tiles} tiles in ${summary.seconds.toFixed(1)} s`);
 * ```
 */
export async function embedSlides(
  options: EmbedSlidesOptions,
): Promise<EmbedSummary> {
  const { tiles, store, encoder: spec = "mobilenet_v2", onSlide, ...rest } =
    options;
  const encoder = typeof spec === "string"
    ? await openEncoder(spec, rest)
    : spec;
  const summary: EmbedSummary = {
    encoder: encoder.name,
    dim: encoder.dim,
    embedded: [],
    skipped: [],
    failed: [],
    tiles: 0,
    seconds: 0,
  };
  const started = performance.now();
  try {
    const source = tiles instanceof ReadableStream
      ? tiles
      : ReadableStream.from(tiles);
    const stage = new EmbedStream({
      encoder,
      store,
      ...(rest.batchSize === undefined ? {} : { batchSize: rest.batchSize }),
      ...(rest.overwrite === undefined ? {} : { overwrite: rest.overwrite }),
      onSlideError: rest.onSlideError ?? "skip",
      onSlide: (e) => {
        if (e.status === "embedded") {
          summary.embedded.push(e.slideId);
          summary.tiles += e.tiles;
        } else if (e.status === "skipped") summary.skipped.push(e.slideId);
        else summary.failed.push({ slideId: e.slideId, error: e.error ?? "" });
        onSlide?.(e);
      },
    });
    for await (const _ of source.pipeThrough(stage)) {
      // embeddings are in the store; draining keeps the stage flowing
    }
  } finally {
    if (typeof spec === "string") await encoder.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
