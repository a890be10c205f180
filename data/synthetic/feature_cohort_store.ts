/**
 * Writes a {@link FeatureCohort} into a run store as if its slides had been
 * tiled and embedded: a `slides` row, its tiles (coordinates, tumour
 * labels) and embeddings under one encoder name, one slide per
 * transaction. Slides already embedded under that name are skipped, so an
 * interrupted write resumes where it stopped.
 *
 * @module
 */
import type { Store } from "../store.ts";
import { claimEncoderName } from "../../stages/embed/encoder_registry.ts";
import type { FeatureCohort } from "./feature_cohort.ts";

/** Encoder name the generated features are stored under by default. */
export const SYNTHETIC_FEATURES_ENCODER = "synthetic-features";

/** Options of {@link writeFeatureCohortToStore}. */
export interface WriteFeatureCohortOptions {
  /** Encoder name to store the features under; default {@link SYNTHETIC_FEATURES_ENCODER}. */
  encoder?: string;
  /** Called after each slide, written or skipped. */
  onSlide?: (slide: WrittenSlide) => void;
}

/** What happened to one slide. */
export interface WrittenSlide {
  slideId: string;
  index: number;
  status: "written" | "skipped";
}

/** What {@link writeFeatureCohortToStore} did. */
export interface FeatureCohortWriteSummary {
  encoder: string;
  written: string[];
  skipped: string[];
  /** Tiles written (skipped slides not counted). */
  tiles: number;
}

/**
 * Writes every slide of `cohort` not yet in `store` under the encoder name.
 * The name is claimed with a fingerprint of the cohort's options, so
 * resuming with other options (which would mix two cohorts) is refused.
 *
 * @example
 * ```ts
 * import { Store } from "../store.ts";
 * import { FeatureCohort } from "./feature_cohort.ts";
 * import { writeFeatureCohortToStore } from "./feature_cohort_store.ts";
 * const store = await Store.open(":memory:");
 * const cohort = new FeatureCohort({ slides: 2, minTiles: 20, maxTiles: 30, dim: 4 });
 * const first = await writeFeatureCohortToStore(cohort, store);
 * const again = await writeFeatureCohortToStore(cohort, store);
 * store.close();
 * if (first.written.length !== 2 || again.skipped.length !== 2) throw new Error();
 * ```
 */
export async function writeFeatureCohortToStore(
  cohort: FeatureCohort,
  store: Store,
  options: WriteFeatureCohortOptions = {},
): Promise<FeatureCohortWriteSummary> {
  const encoder = options.encoder ?? SYNTHETIC_FEATURES_ENCODER;
  const o = cohort.options;
  const fingerprint = await cohortFingerprint(cohort);
  await claimEncoderName(store, {
    name: encoder,
    fingerprint,
    source: `synthetic feature cohort (asmil synth-features, seed ${o.seed})`,
    dim: o.dim,
  });
  const done = new Set(
    (await store.query(
      "SELECT DISTINCT slide FROM embeddings WHERE encoder = ?",
      [encoder],
    )).map((r) => String(r.slide)),
  );
  const summary: FeatureCohortWriteSummary = {
    encoder,
    written: [],
    skipped: [],
    tiles: 0,
  };
  for (let index = 0; index < cohort.size; index++) {
    const slideId = cohort.ids[index]!;
    if (done.has(slideId)) {
      summary.skipped.push(slideId);
      options.onSlide?.({ slideId, index, status: "skipped" });
      continue;
    }
    const slide = cohort.slide(index);
    let width = 0, height = 0;
    for (let j = 0; j < slide.n; j++) {
      width = Math.max(width, slide.coords[2 * j]! + o.tileSize);
      height = Math.max(height, slide.coords[2 * j + 1]! + o.tileSize);
    }
    await store.slideTransaction(slideId, async (tx) => {
      await tx.upsertSlide({
        id: slideId,
        path: `${fingerprint}/${slideId}`,
        label: slide.label,
        split: slide.split,
        width,
        height,
        status: "embedded",
        tileParams: JSON.stringify({ tileSize: o.tileSize, level: 0 }),
      });
      await tx.replaceTiles(
        slideId,
        Array.from({ length: slide.n }, (_, tile) => ({
          tile,
          x: slide.coords[2 * tile]!,
          y: slide.coords[2 * tile + 1]!,
          size: o.tileSize,
          level: 0,
          tissue: 1,
          label: slide.tileLabels[tile]!,
        })),
      );
      await tx.replaceEmbeddings(
        slideId,
        encoder,
        Array.from({ length: slide.n }, (_, tile) => ({
          tile,
          features: slide.features.subarray(
            tile * slide.dim,
            (tile + 1) * slide.dim,
          ),
        })),
      );
    });
    summary.written.push(slideId);
    summary.tiles += slide.n;
    options.onSlide?.({ slideId, index, status: "written" });
  }
  return summary;
}

/**
 * `synthetic:` and the first 16 hex digits of the SHA-256 of the cohort's
 * resolved options: equal options, equal features.
 */
export async function cohortFingerprint(
  cohort: FeatureCohort,
): Promise<string> {
  const o = cohort.options;
  const canonical = JSON.stringify(
    Object.fromEntries(
      Object.keys(o).sort().map((k) => [k, o[k as keyof typeof o]]),
    ),
  );
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(canonical),
  );
  const hex = [...new Uint8Array(digest)].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  return `synthetic:${hex.slice(0, 16)}`;
}
