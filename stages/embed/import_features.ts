/**
 * Imports tile features computed elsewhere into the run store:
 *
 * - `clam`: one `.h5` per slide (slide id = file stem) with `features`
 *   [N, D] and `coords` [N, 2];
 * - `trident`: the same layout, under folders like
 *   `20x_256px_0px_overlap/features_<encoder>/` (the encoder name is taken
 *   from that folder);
 * - `acmil`: one `.h5` with a group per slide holding `feat` (float16 or
 *   float32 [N, D]), `coords` and the attribute `label`.
 *
 * Every file's shapes, dimensions and slide ids are checked before anything
 * is written (from metadata only); then each slide's tiles and embeddings go
 * in one transaction. Files are read from disk slide by slide, features in
 * row blocks of a few MB into one buffer reused for every slide, so memory
 * follows the largest slide, not the file (see h5_file.ts).
 *
 * @module
 */

import * as h5wasm from "h5wasm";
import type { Store } from "../../data/store.ts";
import {
  dataset,
  readMatrix,
  readRows,
  scalarAttr,
  withH5File,
} from "./h5_file.ts";
import { type LabelRow, readLabelRows } from "../bag/labels.ts";
import { claimEncoderName, IMPORTED_FINGERPRINT } from "./encoder_registry.ts";
import { inShard, type Shard } from "../../core/shard.ts";

/** Feature file layouts {@linkcode importFeatures} reads. */
export type FeatureFormat = "clam" | "trident" | "acmil";

/** Options of {@linkcode importFeatures}. */
export interface ImportFeaturesOptions {
  /** `.h5` files: one per slide (clam, trident) or one or more cohort files (acmil). */
  files: readonly string[];
  format: FeatureFormat;
  store: Store;
  /** CSV with `slide_id` (or `slide`), `label` and optional `split`. */
  labels?: string;
  /** Encoder name to store under (default: from the TRIDENT folder, else the format). */
  encoder?: string;
  /** Tile extent in level-0 pixels when the file does not say (default 256). */
  patchSize?: number;
  /** Re-import slides already in the store under this encoder. */
  overwrite?: boolean;
  /** Import only the slides of this shard (core/shard.ts). */
  shard?: Shard;
}

/** What {@linkcode importFeatures} did. */
export interface ImportSummary {
  encoder: string;
  dim: number;
  imported: string[];
  skipped: string[];
  /**
   * Slides not imported, with why (a dataset with no rows or no columns);
   * each is also recorded in `failures` (stage `import`).
   */
  failed: { slide: string; error: string }[];
  tiles: number;
}

interface SlidePlan {
  id: string;
  file: string;
  /** Group path inside the file (`/` for per-slide files). */
  group: string;
  features: string;
  n: number;
  dim: number;
  label?: string;
  size: number;
  level: number;
}

/**
 * Imports CLAM / TRIDENT / ACMIL feature files into `store`.
 *
 * @example
 * ```ts ignore
 * import { importFeatures } from "./import_features.ts";
 * await importFeatures({
 *   files: ["feats/slide_1.h5", "feats/slide_2.h5"], format: "clam",
 *   labels: "labels.csv", encoder: "uni", store,
 * });
 * ```
 */
export async function importFeatures(
  options: ImportFeaturesOptions,
): Promise<ImportSummary> {
  const { files, format, store } = options;
  if (!["clam", "trident", "acmil"].includes(format)) {
    throw new RangeError(
      `Unknown feature format "${format}": expected clam, trident or acmil`,
    );
  }
  if (files.length === 0) {
    throw new RangeError("importFeatures() needs at least one .h5 file");
  }
  const encoder = options.encoder ?? defaultEncoderName(format, files[0]!);
  const labels = options.labels
    ? await readLabelRows(options.labels)
    : undefined;
  const { shard } = options;
  // A per-slide file is named by its slide: other shards' files stay shut.
  const mine = format === "acmil" ? files : inShard(files, shard, stem);
  const plans: SlidePlan[] = [];
  for (const file of mine) {
    plans.push(
      ...inShard(
        await planFile(file, format, options.patchSize ?? 256),
        shard,
        (p) => p.id,
      ),
    );
  }
  if (plans.length === 0 && shard) {
    return { encoder, dim: 0, imported: [], skipped: [], failed: [], tiles: 0 };
  }
  // A slide with no tiles (or no features) cannot make a bag: it is
  // recorded as failed, like a slide without tissue, and the rest go on.
  const failed = plans.filter((p) => p.n === 0 || p.dim === 0).map((p) => ({
    slide: p.id,
    error:
      `${p.file}: slide ${p.id} has no tiles: "${p.features}" is [${p.n}, ${p.dim}], expected at least one row of at least one feature`,
  }));
  const empty = new Set(failed.map((f) => f.slide));
  const usable = plans.filter((p) => !empty.has(p.id));
  const known = new Set((await store.slideLabels()).map((s) => s.id));
  const storedDim = await store.embeddingDim(encoder);
  const dim = storedDim > 0 ? storedDim : (usable[0] ?? plans[0]!).dim;
  const dimSource = storedDim > 0
    ? `the store's ${encoder} embeddings`
    : `${(usable[0] ?? plans[0]!).file}`;
  const seen = new Map<string, string>();
  for (const p of usable) {
    const where = `${p.file}: slide ${p.id}`;
    if (p.dim !== dim) {
      throw new RangeError(
        `${where} has ${p.dim}-d features: expected ${dim} as in ${dimSource}`,
      );
    }
    if (seen.has(p.id)) {
      throw new Error(`${where} is also in ${seen.get(p.id)}`);
    }
    seen.set(p.id, p.file);
    if (labels && !labels.has(p.id)) {
      throw new Error(
        `${where} is not listed in the labels file ${options.labels}`,
      );
    }
    if (!labels && !known.has(p.id) && p.label === undefined) {
      throw new Error(
        `${where} is unknown: it is not in the store's slides table and no labels file was given`,
      );
    }
  }
  for (const f of failed) await store.recordFailure("import", f.slide, f.error);
  if (usable.length === 0) {
    return { encoder, dim, imported: [], skipped: [], failed, tiles: 0 };
  }
  await claimEncoderName(store, {
    name: encoder,
    fingerprint: IMPORTED_FINGERPRINT,
    source: `${format} features imported from files`,
    dim,
  });
  const done = options.overwrite
    ? new Set<string>()
    : await store.embeddedSlideIds(encoder);
  const summary: ImportSummary = {
    encoder,
    dim,
    imported: [],
    skipped: [],
    failed,
    tiles: 0,
  };
  // One buffer for every slide's features: reused, so memory stays at the
  // largest slide (and no fresh pages to fault in per slide).
  const scratch = new Float32Array(
    usable.reduce((m, p) => done.has(p.id) ? m : Math.max(m, p.n * p.dim), 0),
  );
  for (const file of mine) {
    const todo = usable.filter((p) => p.file === file && !done.has(p.id));
    summary.skipped.push(
      ...usable.filter((p) => p.file === file && done.has(p.id)).map((p) =>
        p.id
      ),
    );
    if (todo.length === 0) continue;
    await withH5File(file, async (h5) => {
      for (const p of todo) {
        await importSlide(
          h5,
          p,
          store,
          encoder,
          labels?.get(p.id),
          known.has(p.id),
          scratch.subarray(0, p.n * p.dim),
        );
        summary.imported.push(p.id);
        summary.tiles += p.n;
      }
    });
  }
  return summary;
}

/** Reads shapes and attributes only; no feature data. */
function planFile(
  file: string,
  format: FeatureFormat,
  patchSize: number,
): Promise<SlidePlan[]> {
  return withH5File(file, (h5) => {
    const groups = format === "acmil"
      ? h5.keys().filter((k) => h5.get(k) instanceof h5wasm.Group)
      : ["/"];
    if (groups.length === 0) {
      throw new Error(`${file} holds no slide groups (ACMIL layout)`);
    }
    return groups.map((name) => {
      const group = name === "/" ? h5 : h5.get(name) as h5wasm.Group;
      const id = name === "/" ? stem(file) : name;
      const where = `${file}: slide ${id}`;
      const featName = format === "acmil" ? "feat" : "features";
      const feat = dataset(group, featName, where);
      const coords = dataset(group, "coords", where);
      const fs = feat.shape ?? [], cs = coords.shape ?? [];
      const dims = fs.length === 3 && fs[0] === 1 ? fs.slice(1) : fs;
      if (dims.length !== 2) {
        throw new RangeError(
          `${where}: "${featName}" must be [N, D]: current shape is [${fs}]`,
        );
      }
      const [n, dim] = dims as [number, number];
      const cdims = cs.length === 3 && cs[0] === 1 ? cs.slice(1) : cs;
      if (cdims.length !== 2 || cdims[0] !== n || cdims[1] !== 2) {
        throw new RangeError(
          `${where}: "coords" must be [${n}, 2] to match "${featName}": current shape is [${cs}]`,
        );
      }
      const label = scalarAttr(group, "label");
      const size = scalarAttr(coords, "patch_size_level0") ??
        scalarAttr(coords, "patch_size") ??
        scalarAttr(feat, "patch_size") ?? patchSize;
      const level = scalarAttr(coords, "patch_level") ?? 0;
      return {
        id,
        file,
        group: group.path,
        features: featName,
        n,
        dim,
        ...(label === undefined ? {} : { label: String(label) }),
        size: Number(size),
        level: Number(level),
      };
    });
  });
}

async function importSlide(
  h5: h5wasm.File,
  p: SlidePlan,
  store: Store,
  encoder: string,
  csv: LabelRow | undefined,
  known: boolean,
  into: Float32Array,
): Promise<void> {
  const where = `${p.file}: slide ${p.id}`;
  const group = p.group === "/" ? h5 : h5.get(p.group) as h5wasm.Group;
  // Rows come in blocks of a few MB; a non-finite value stops the read there.
  const feats = await readRows(
    dataset(group, p.features, where),
    `${where}: "${p.features}"`,
    0,
    p.n,
    {
      into,
      onBlock: (data, from, to) => checkFinite(data, from, to, p.dim, where),
    },
  );
  const coords = await readMatrix(
    dataset(group, "coords", where),
    `${where}: "coords"`,
  );
  if (!coords.data.every(Number.isFinite)) {
    throw new RangeError(`${where}: "coords" holds non-finite values`);
  }
  const label = csv?.label ?? p.label;
  await store.slideTransaction(p.id, async (tx) => {
    if (!known) {
      await tx.upsertSlide({
        id: p.id,
        path: p.file,
        label: label ?? null,
        split: csv?.split ?? null,
        status: "imported",
      });
    } else if (label !== undefined) {
      await tx.setSlideLabel(p.id, label, csv?.split);
    }
    await tx.replaceTiles(
      p.id,
      Array.from({ length: p.n }, (_, tile) => ({
        tile,
        x: Math.round(coords.data[2 * tile]!),
        y: Math.round(coords.data[2 * tile + 1]!),
        size: p.size,
        level: p.level,
      })),
    );
    await tx.replaceEmbeddings(
      p.id,
      encoder,
      Array.from({ length: p.n }, (_, tile) => ({
        tile,
        features: feats.subarray(tile * p.dim, (tile + 1) * p.dim),
      })),
    );
  });
}

function checkFinite(
  data: Float32Array,
  from: number,
  to: number,
  dim: number,
  where: string,
): void {
  for (let i = from * dim; i < to * dim; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = Math.floor(i / dim), col = i % dim;
      throw new RangeError(
        `${where}: feature [${row}, ${col}] is ${
          data[i]
        }: expected finite numbers`,
      );
    }
  }
}

function defaultEncoderName(format: FeatureFormat, file: string): string {
  if (format === "trident") {
    const folder = file.split(/[\\/]/).at(-2) ?? "";
    const m = /^features_(.+)$/.exec(folder);
    if (m) return m[1]!;
  }
  return format;
}

function stem(path: string): string {
  return (path.split(/[\\/]/).at(-1) ?? path).replace(/\.h5$/i, "");
}
