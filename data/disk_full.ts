/**
 * A full disk under the run store, said as such. DuckDB reports it as an
 * IO error deep in a write ("No space left on device"), often as the cause
 * of a failed commit; this names the store, the folder to free and that a
 * rerun resumes, since every stage commits per slide (or epoch).
 *
 * @module
 */
import { dirname, resolve } from "node:path";

/** Thrown when the store's disk is full; `cause` is DuckDB's error. */
export class DiskFullError extends Error {
  /** `store` is the run store's path. */
  constructor(store: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      `The disk holding run store "${store}" is full: free space in ${
        dirname(resolve(store))
      } (or move the store and give its new path with --db), then run the same command again; what was committed is kept and the rest is redone. (${detail})`,
      { cause },
    );
    this.name = "DiskFullError";
  }
}

/** Whether `message` says the disk (or its quota) is full. */
export function isDiskFull(message: string): boolean {
  return /No space left on device|ENOSPC|disk quota exceeded|EDQUOT|database or disk is full/i
    .test(message);
}

/**
 * `error` as a {@link DiskFullError} when it says the disk is full (and is
 * not one already), else `error` itself.
 *
 * @example
 * ```ts
 * import { diskFullError, DiskFullError } from "./disk_full.ts";
 * const e = diskFullError("runs/a.duckdb", new Error("IO Error: Could not write file: No space left on device"));
 * if (!(e instanceof DiskFullError)) throw new Error("not recognised");
 * ```
 */
export function diskFullError(store: string, error: unknown): unknown {
  if (error instanceof DiskFullError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return isDiskFull(message) ? new DiskFullError(store, error) : error;
}
