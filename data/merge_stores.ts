/**
 * Merging shard stores into one run store (`asmil merge`), and seeding a
 * shard store from the main one. The SQL is in merge_sql.ts.
 *
 * @module
 */
import { listValue } from "@duckdb/node-api";
import { resolve } from "node:path";
import { errorMessage, type Store } from "./store.ts";
import type { StoreWriter } from "./store_writer.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import {
  copySql,
  encoderConflictsSql,
  newTileParamsSql,
  planCountsSql,
  planEmbeddingsSql,
  planSlidesSql,
  runConflictsSql,
  seedCopySql,
  seedPickSql,
  shardVersionSql,
  slideParamConflictsSql,
  sourceSlidesSql,
  TARGET_TILE_PARAMS_SQL,
} from "./merge_sql.ts";
import { sqlString } from "./store_access.ts";

/** What one shard store added to the target. */
export interface ShardMerged {
  /** The shard store's path. */
  path: string;
  /** Slides taken from the shard (with their tiles). */
  slides: number;
  /** The shard's slides the target already had. */
  slidesPresent: number;
  tiles: number;
  /** Embedding rows added, and the slides they belong to, by encoder. */
  embeddings: { encoder: string; rows: number; slides: number }[];
  runs: number;
  runsPresent: number;
}

/** What {@link mergeStores} did. */
export interface MergeSummary {
  shards: ShardMerged[];
  seconds: number;
}

/** Thrown when a shard cannot be merged; names the shard. */
export class MergeConflictError extends Error {
  /** `shard` is the shard store's path. */
  constructor(readonly shard: string, message: string) {
    super(`Cannot merge shard ${shard}: ${message}`);
    this.name = "MergeConflictError";
  }
}

/**
 * Merges `shards` (store files, opened read-only) into `target` in one
 * transaction: all of them or, when any conflicts, none. Refused: a shard
 * at another schema version; an encoder name standing for another model
 * (fingerprint or dimension) than in the target or an earlier shard; a
 * slide tiled with other parameters than the same slide there; tiles made
 * with parameters none of the target's slides were tiled with; a run id
 * naming another run (config or start time) there. Merging the
 * same shards again adds nothing.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * import { mergeStores } from "./merge_stores.ts";
 * const dir = await Deno.makeTempDir();
 * const shard = await Store.open(`${dir}/a.shard-0-of-1.duckdb`);
 * await shard.slideTransaction("s1", (tx) =>
 *   tx.upsertSlide({ id: "s1", path: "s1.tiff", status: "tiled" }));
 * shard.close();
 * const target = await Store.open(`${dir}/a.duckdb`);
 * const summary = await mergeStores(target, [`${dir}/a.shard-0-of-1.duckdb`]);
 * if (summary.shards[0]?.slides !== 1) throw new Error("one slide merged");
 * target.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function mergeStores(
  target: Store,
  shards: readonly string[],
): Promise<MergeSummary> {
  const started = performance.now();
  const seen = new Set<string>();
  for (const path of shards) {
    const full = resolve(path);
    if (target.path !== ":memory:" && full === resolve(target.path)) {
      throw new MergeConflictError(path, "it is the store merged into");
    }
    if (seen.has(full)) {
      throw new MergeConflictError(path, "it is named twice");
    }
    seen.add(full);
    try {
      if (!(await Deno.stat(path)).isFile) throw new Error("not a file");
    } catch {
      throw new MergeConflictError(path, "no store file there");
    }
  }
  // DuckDB detaches a database only outside the transaction that read it.
  const attached: string[] = [];
  try {
    const merged = await target.transaction(async (tx) => {
      const out: ShardMerged[] = [];
      for (const [i, path] of shards.entries()) {
        const src = `merge_shard_${i}`;
        await attach(tx, path, src);
        attached.push(src);
        out.push(await mergeOne(tx, path, src));
      }
      return out;
    });
    return { shards: merged, seconds: (performance.now() - started) / 1000 };
  } finally {
    // A rolled-back transaction takes its ATTACH statements with it.
    for (const src of attached) {
      await target.exec(`DETACH DATABASE IF EXISTS ${src}`);
    }
  }
}

async function attach(
  tx: StoreWriter,
  path: string,
  src: string,
): Promise<void> {
  try {
    await tx.exec(`ATTACH ${sqlString(path)} AS ${src} (READ_ONLY)`);
  } catch (error) {
    throw new MergeConflictError(
      path,
      `cannot open it read-only (${errorMessage(error)})`,
    );
  }
}

async function mergeOne(
  tx: StoreWriter,
  path: string,
  src: string,
): Promise<ShardMerged> {
  await check(tx, path, src);
  await tx.exec(planSlidesSql(src));
  const [counts] = await tx.query(planCountsSql(src));
  const embeddings = (await tx.query(planEmbeddingsSql(src))).map((r) => ({
    encoder: String(r.encoder),
    rows: Number(r.rows),
    slides: Number(r.slides),
  }));
  await tx.exec(copySql(src));
  return {
    path,
    slides: Number(counts?.slides ?? 0),
    slidesPresent: Number(counts?.present ?? 0),
    tiles: Number(counts?.tiles ?? 0),
    embeddings,
    runs: Number(counts?.runs ?? 0),
    runsPresent: Number(counts?.runs_present ?? 0),
  };
}

async function check(
  tx: StoreWriter,
  path: string,
  src: string,
): Promise<void> {
  const [version] = await tx.query(shardVersionSql(src)).catch(() => []);
  const v = Number(version?.value ?? 0);
  if (v !== SCHEMA_VERSION) {
    throw new MergeConflictError(
      path,
      `it is at schema version ${v}, expected ${SCHEMA_VERSION} (open it once for writing with this asmil to migrate it)`,
    );
  }
  const [encoder] = await tx.query(encoderConflictsSql(src));
  if (encoder) {
    throw new MergeConflictError(
      path,
      `encoder "${encoder.name}" is ${encoder.source} (fingerprint ${encoder.fingerprint}, ${encoder.dim} features) there, but ${encoder.target_source} (fingerprint ${encoder.target_fingerprint}, ${encoder.target_dim} features) in the store or a shard merged before it; embed both with the same model, or under another --name`,
    );
  }
  const [slide] = await tx.query(slideParamConflictsSql(src));
  if (slide) {
    throw new MergeConflictError(
      path,
      `slide "${slide.id}" was tiled with ${slide.tile_params} there, but with ${slide.target_params} in the store or a shard merged before it`,
    );
  }
  const [run] = await tx.query(runConflictsSql(src));
  if (run) {
    throw new MergeConflictError(
      path,
      `run "${run.id}" there (${run.model}, started ${run.started}) is another run than "${run.id}" in the store or a shard merged before it (${run.target_model}, started ${run.target_started}); train with distinct --run ids`,
    );
  }
  const [params] = await tx.query(newTileParamsSql(src));
  if (params) {
    const existing = await tx.query(TARGET_TILE_PARAMS_SQL);
    if (existing.length > 0) {
      throw new MergeConflictError(
        path,
        `its slides (e.g. "${params.example}") were tiled with ${params.params}, but the store's (or a shard merged before it) with ${
          existing.map((r) => r.params).join(" or ")
        }; tile every shard with the same options`,
      );
    }
  }
}

/**
 * Copies into a shard store the tiled slides of the main store at
 * `mainPath` (opened read-only; nothing when it does not exist) for which
 * `belongs(id)` holds and the shard store lacks, with their tiles, so a
 * cohort tiled in one process can be embedded in shards. Returns how many
 * slides were copied.
 */
export async function seedShardStore(
  shard: Store,
  mainPath: string,
  belongs: (slideId: string) => boolean,
): Promise<number> {
  try {
    if (!(await Deno.stat(mainPath)).isFile) return 0;
  } catch {
    return 0;
  }
  return await copySlidesFrom(shard, mainPath, belongs, {
    tiledOnly: true,
    reader: "this shard",
  });
}

/** Options of {@link copySlidesFrom}. */
export interface CopySlidesOptions {
  /** Copy only slides with status `tiled`. */
  tiledOnly: boolean;
  /** Who reads the slides, for the error when the source cannot be read (e.g. `this task`). */
  reader: string;
}

/**
 * Copies into `target` the slides of the store at `sourcePath` (attached
 * read-only) for which `belongs(id)` holds and `target` lacks, with their
 * tiles, in one transaction; embeddings stay behind. Returns how many
 * slides were copied.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * import { copySlidesFrom } from "./merge_stores.ts";
 * const dir = await Deno.makeTempDir();
 * const main = await Store.open(`${dir}/main.duckdb`);
 * await main.transaction((tx) => tx.upsertSlide({ id: "a", path: "a.tiff", status: "tiled" }));
 * main.close();
 * const task = await Store.open(":memory:");
 * const n = await copySlidesFrom(task, `${dir}/main.duckdb`, (id) => id === "a", {
 *   tiledOnly: false,
 *   reader: "this task",
 * });
 * if (n !== 1 || (await task.slideRow("a"))?.path !== "a.tiff") throw new Error();
 * task.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function copySlidesFrom(
  target: Store,
  sourcePath: string,
  belongs: (slideId: string) => boolean,
  options: CopySlidesOptions,
): Promise<number> {
  const src = "copy_source";
  try {
    await target.exec(
      `ATTACH ${sqlString(sourcePath)} AS ${src} (READ_ONLY)`,
    );
  } catch (error) {
    throw new Error(
      `Cannot read the ${
        options.tiledOnly ? "tiled " : ""
      }slides of ${sourcePath} for ${options.reader}: ${errorMessage(error)}`,
    );
  }
  try {
    return await target.transaction(async (tx) => {
      const ids = (await tx.query(sourceSlidesSql(src, options.tiledOnly)))
        .map((r) => String(r.id)).filter(belongs);
      if (ids.length === 0) return 0;
      await tx.exec(seedPickSql(src), { ids: listValue(ids) });
      const [picked] = await tx.query("SELECT count(*) AS n FROM seed_slides");
      await tx.exec(seedCopySql(src));
      return Number(picked?.n ?? 0);
    });
  } finally {
    await target.exec(`DETACH ${src}`);
  }
}
