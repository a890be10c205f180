/**
 * For tests: everything a store holds, cohort and training runs, as row
 * counts and SHA-256 digests per table, so two stores written different ways
 * (straight through, or killed and resumed) can be checked equal. Columns
 * that legitimately differ between two runs of the same work are left out:
 * timestamps, wall-clock seconds and timings, the store's own id; the
 * folders named in `paths` are written as `<path i>`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { openStore } from "../data/store.ts";
import { storeContents } from "./store_contents.ts";

/** One table's canonical rows, their count and digest. */
export interface TableContents {
  rows: number;
  sha256: string;
  /** The canonical rows, sorted (for showing where two stores differ). */
  lines: string[];
}

/** The tables {@link runContents} reads, in order. */
export const RUN_TABLES = [
  "slides",
  "tiles",
  "encoders",
  "embeddings",
  "failures",
  "runs",
  "epochs",
  "attention",
  "predictions",
  "metrics",
] as const;

/** A store's contents by table. */
export type RunContents = Record<(typeof RUN_TABLES)[number], TableContents>;

function table(lines: string[], paths: readonly string[]): TableContents {
  const normal = lines.map((line) =>
    paths.reduce((l, p, i) => l.replaceAll(p, `<path ${i}>`), line)
  ).sort();
  const hash = createHash("sha256");
  for (const line of normal) hash.update(`${line}\n`);
  return { rows: normal.length, sha256: hash.digest("hex"), lines: normal };
}

/**
 * Reads `path` read-only into {@link RunContents}: the cohort tables of
 * {@link storeContents}, then runs (without times), epochs (losses, learning
 * rate, metrics; not seconds or timing), the stored attention levels as
 * written (16-bit), predictions and metrics.
 *
 * @example
 * ```ts ignore
 * const a = await runContents("a/s.duckdb", ["a"]);
 * const b = await runContents("b/s.duckdb", ["b"]);
 * if (a.attention.sha256 !== b.attention.sha256) throw new Error("differ");
 * ```
 */
export async function runContents(
  path: string,
  paths: readonly string[] = [],
): Promise<RunContents> {
  const cohort = await storeContents(path);
  const store = await openStore(path, { readOnly: true });
  try {
    const lines = async (sql: string) =>
      (await store.query(sql)).map((r) => JSON.stringify(r));
    return {
      slides: table(cohort.slides, paths),
      tiles: table(cohort.tiles, paths),
      encoders: table(cohort.encoders, paths),
      embeddings: table(cohort.embeddings, paths),
      failures: table(cohort.failures, paths),
      runs: table(
        await lines(
          "SELECT id, model, config, seed, fold, status, error FROM runs",
        ),
        paths,
      ),
      epochs: table(
        await lines("SELECT run, epoch, losses, lr, metrics FROM epochs"),
        paths,
      ),
      attention: table(
        await lines(
          `SELECT run, epoch, slide, split, scale, q, head_scale, head_q
           FROM attention_history`,
        ),
        paths,
      ),
      predictions: table(
        await lines(
          "SELECT run, epoch, slide, split, probabilities, label FROM predictions",
        ),
        paths,
      ),
      metrics: table(
        await lines(
          "SELECT run, epoch, split, name, value, lo, hi FROM metrics",
        ),
        paths,
      ),
    };
  } finally {
    store.close();
  }
}
