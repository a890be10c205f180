/**
 * Shards: one slice of a cohort's slides for one worker of a job array.
 * Slide `id` belongs to shard `shardOf(id, n)`, a hash of the id alone, so
 * the partition is the same on every rerun, whatever order the file system
 * lists slides in, and whatever subset of the cohort a command sees (a
 * shard store's slides re-partition to the same shard). Each shard writes
 * its own store beside the main one (`x.shard-1-of-4.duckdb`), merged by
 * `asmil merge`.
 *
 * @module
 */
import { basename, dirname, extname, join } from "node:path";

/** Shard `index` of `count` (0 ≤ index < count). */
export interface Shard {
  index: number;
  count: number;
}

/** Environment variable giving the shard count of a Kubernetes Indexed Job. */
export const SHARD_COUNT_ENV = "ASMIL_SHARD_COUNT";

/**
 * Parses `i/n` (e.g. `"2/4"`); `option` names where it came from in the
 * error.
 *
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * const s = parseShard("2/4");
 * if (s.index !== 2 || s.count !== 4) throw new Error("2 of 4");
 * ```
 */
export function parseShard(text: string, option = "--shard"): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new RangeError(
      `${option} must be i/n with 0 <= i < n (e.g. 0/4), got "${text}"`,
    );
  }
  return checkShard(Number(m[1]), Number(m[2]), option);
}

function checkShard(index: number, count: number, source: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(
      `${source}: the shard count must be a positive integer, got ${count}`,
    );
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `${source}: the shard index must be in 0..${count - 1}, got ${index}`,
    );
  }
  return { index, count };
}

/**
 * The shard a job array gives this process, from its environment:
 * Slurm's `SLURM_ARRAY_TASK_ID` (relative to `SLURM_ARRAY_TASK_MIN`, in
 * steps of `SLURM_ARRAY_TASK_STEP`) of `SLURM_ARRAY_TASK_COUNT`, else a
 * Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` of `count` (or
 * `ASMIL_SHARD_COUNT`); undefined outside a job array.
 *
 * @example
 * ```ts
 * import { shardFromEnv } from "./shard.ts";
 * const s = shardFromEnv({ SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" });
 * if (s?.index !== 3 || s.count !== 4) throw new Error("3 of 4");
 * ```
 */
export function shardFromEnv(
  env: Record<string, string | undefined>,
  count?: number,
): Shard | undefined {
  const id = env.SLURM_ARRAY_TASK_ID;
  if (id !== undefined && id !== "") {
    const n = env.SLURM_ARRAY_TASK_COUNT;
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    const step = Number(env.SLURM_ARRAY_TASK_STEP ?? 1) || 1;
    const source =
      `SLURM_ARRAY_TASK_ID=${id} (min ${min}, step ${step}) of SLURM_ARRAY_TASK_COUNT=${n}`;
    const offset = Number(id) - min;
    if (offset % step !== 0) {
      throw new RangeError(`${source}: the task is not on the array's step`);
    }
    return checkShard(offset / step, Number(n), source);
  }
  const index = env.JOB_COMPLETION_INDEX;
  if (index !== undefined && index !== "") {
    const n = count ?? Number(env[SHARD_COUNT_ENV]);
    if (!Number.isFinite(n)) {
      throw new RangeError(
        `JOB_COMPLETION_INDEX=${index} is set but the shard count is not: set ${SHARD_COUNT_ENV} to the Job's completions (or pass --shard i/n)`,
      );
    }
    return checkShard(
      Number(index),
      n,
      `JOB_COMPLETION_INDEX=${index} of ${n}`,
    );
  }
  return undefined;
}

/**
 * The shard of a `--shard` option: `i/n`, `none` (no sharding even inside a
 * job array), or absent (the job array's, from the environment).
 */
export function resolveShard(
  option: string | undefined,
  env: Record<string, string | undefined> = readEnv(),
): Shard | undefined {
  if (option === "none") return undefined;
  if (option !== undefined) return parseShard(option);
  return shardFromEnv(env);
}

function readEnv(): Record<string, string | undefined> {
  try {
    return Deno.env.toObject();
  } catch {
    return {}; // no --allow-env: no job array to see
  }
}

/** 32-bit FNV-1a of the UTF-16 code units, then a murmur3 finaliser. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The shard slide `id` belongs to among `count`.
 *
 * @example
 * ```ts
 * import { shardOf } from "./shard.ts";
 * const s = shardOf("TCGA-A1-0001", 4);
 * if (s !== shardOf("TCGA-A1-0001", 4) || s < 0 || s > 3) throw new Error();
 * ```
 */
export function shardOf(id: string, count: number): number {
  return hashId(id) % count;
}

/**
 * The items of `items` (slides, files, jobs) whose `id` falls in `shard`,
 * in their given order; all of them without a shard.
 */
export function inShard<T>(
  items: readonly T[],
  shard: Shard | undefined,
  id: (item: T) => string,
): T[] {
  if (!shard) return [...items];
  return items.filter((item) => shardOf(id(item), shard.count) === shard.index);
}

/** `i/n` as printed (`2/4`). */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * The store a shard writes, beside `db`: `runs/asmil.duckdb` →
 * `runs/asmil.shard-2-of-4.duckdb`.
 *
 * @example
 * ```ts
 * import { shardStorePath } from "./shard.ts";
 * const p = shardStorePath("runs/asmil.duckdb", { index: 2, count: 4 });
 * if (p !== "runs/asmil.shard-2-of-4.duckdb") throw new Error(p);
 * ```
 */
export function shardStorePath(db: string, shard: Shard): string {
  if (db === ":memory:") {
    throw new RangeError(
      `--shard ${
        shardLabel(shard)
      } needs a store file (--db): each shard writes its own store beside it, not :memory:`,
    );
  }
  const ext = extname(db);
  const stem = basename(db, ext);
  return join(
    dirname(db),
    `${stem}.shard-${shard.index}-of-${shard.count}${ext}`,
  );
}

/** The shard named by a shard store's file name, if it follows the pattern. */
export function shardOfStorePath(path: string): Shard | undefined {
  const m = /\.shard-(\d+)-of-(\d+)(\.[^./]*)?$/.exec(basename(path));
  if (!m) return undefined;
  const index = Number(m[1]), count = Number(m[2]);
  return index < count && count > 0 ? { index, count } : undefined;
}
