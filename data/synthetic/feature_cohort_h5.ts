/**
 * Writes a {@link FeatureCohort} as CLAM-layout feature files: one
 * `<slide>.h5` per slide with `features` [N, D] float32 and `coords` [N, 2]
 * int64 (level-0 pixels; attributes `patch_size` and `patch_level`), plus
 * `tile_labels` [N] int8 (1 = tumour), which CLAM readers ignore; then
 * `labels.csv` (`slide_id,label,split`) and `cohort.json` (the options).
 *
 * Each file is written under a temporary name and renamed when complete,
 * so an existing `<slide>.h5` is a finished slide and a rerun skips it.
 *
 * @module
 */
import { join } from "node:path";
import * as h5wasm from "h5wasm";
import type { FeatureCohort, FeatureSlide } from "./feature_cohort.ts";
import {
  cohortFingerprint,
  type WrittenSlide,
} from "./feature_cohort_store.ts";

/** Options of {@link writeFeatureCohortH5}. */
export interface WriteFeatureCohortH5Options {
  /** Called after each slide, written or skipped. */
  onSlide?: (slide: WrittenSlide) => void;
}

/** What {@link writeFeatureCohortH5} wrote. */
export interface FeatureCohortH5Summary {
  dir: string;
  labelsPath: string;
  written: string[];
  skipped: string[];
  tiles: number;
}

interface H5Module {
  FS: {
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
  };
}

let counter = 0;

/**
 * Writes every slide of `cohort` not yet in `dir` (created when missing).
 * A `cohort.json` from other options is refused rather than mixed with.
 *
 * @example
 * ```ts
 * import { FeatureCohort } from "./feature_cohort.ts";
 * import { writeFeatureCohortH5 } from "./feature_cohort_h5.ts";
 * const dir = await Deno.makeTempDir();
 * const cohort = new FeatureCohort({ slides: 2, minTiles: 20, maxTiles: 30, dim: 4 });
 * const summary = await writeFeatureCohortH5(cohort, dir);
 * await Deno.remove(dir, { recursive: true });
 * if (summary.written.length !== 2) throw new Error("two files");
 * ```
 */
export async function writeFeatureCohortH5(
  cohort: FeatureCohort,
  dir: string,
  options: WriteFeatureCohortH5Options = {},
): Promise<FeatureCohortH5Summary> {
  await Deno.mkdir(dir, { recursive: true });
  const manifestPath = join(dir, "cohort.json");
  const manifest = JSON.stringify(
    {
      fingerprint: await cohortFingerprint(cohort),
      options: cohort.options,
    },
    null,
    2,
  ) + "\n";
  const existing = await Deno.readTextFile(manifestPath).catch(() => undefined);
  if (existing !== undefined && existing !== manifest) {
    throw new Error(
      `${dir} holds a feature cohort generated with other options (${manifestPath}): write into another folder or remove it first`,
    );
  }
  await Deno.writeTextFile(manifestPath, manifest);
  const summary: FeatureCohortH5Summary = {
    dir,
    labelsPath: join(dir, "labels.csv"),
    written: [],
    skipped: [],
    tiles: 0,
  };
  for (let index = 0; index < cohort.size; index++) {
    const slideId = cohort.ids[index]!;
    const path = join(dir, `${slideId}.h5`);
    if (await exists(path)) {
      summary.skipped.push(slideId);
      options.onSlide?.({ slideId, index, status: "skipped" });
      continue;
    }
    const slide = cohort.slide(index);
    await writeSlideH5(`${path}.partial`, slide, cohort.options.tileSize);
    await Deno.rename(`${path}.partial`, path);
    summary.written.push(slideId);
    summary.tiles += slide.n;
    options.onSlide?.({ slideId, index, status: "written" });
  }
  const rows = cohort.ids.map((id, i) =>
    `${id},${cohort.labels[i]},${cohort.splits[i]}`
  );
  await Deno.writeTextFile(
    summary.labelsPath,
    ["slide_id,label,split", ...rows].join("\n") + "\n",
  );
  return summary;
}

/** Writes one slide's CLAM-layout file at `path`. */
export async function writeSlideH5(
  path: string,
  slide: FeatureSlide,
  tileSize: number,
): Promise<void> {
  const module = await h5wasm.ready as unknown as H5Module;
  const name = `/asmil_feature_cohort_${Deno.pid}_${counter++}.h5`;
  const file = new h5wasm.File(name, "w");
  try {
    file.create_dataset({
      name: "features",
      data: slide.features,
      shape: [slide.n, slide.dim],
    });
    const coords = file.create_dataset({
      name: "coords",
      data: BigInt64Array.from(slide.coords, (v) => BigInt(v)),
      shape: [slide.n, 2],
    });
    coords.create_attribute("patch_size", tileSize);
    coords.create_attribute("patch_level", 0);
    file.create_dataset({
      name: "tile_labels",
      data: slide.tileLabels,
      shape: [slide.n],
    });
    file.create_attribute("label", slide.label);
  } finally {
    file.close();
  }
  try {
    await Deno.writeFile(path, module.FS.readFile(name));
  } finally {
    module.FS.unlink(name);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
