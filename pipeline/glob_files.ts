/**
 * File names matching a pattern with `*` and `?` in its last part (the
 * folder is taken as given), sorted. Enough for `--from-glob`; no `**`.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/**
 * The files matching `pattern`, sorted.
 *
 * @example
 * ```ts
 * import { globFiles } from "./glob_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.shard-0-of-2.duckdb`, "");
 * await Deno.writeTextFile(`${dir}/a.duckdb`, "");
 * const found = await globFiles(`${dir}/a.shard-*.duckdb`);
 * if (found.length !== 1) throw new Error(found.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function globFiles(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  if (/[*?[]/.test(dir)) {
    throw new RangeError(
      `--from-glob takes * and ? in the file name only, not in its folder: got "${pattern}"`,
    );
  }
  const re = new RegExp(
    "^" +
      basename(pattern).replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll(
        "*",
        ".*",
      ).replaceAll("?", ".") + "$",
  );
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && re.test(entry.name)) {
        found.push(join(dir, entry.name));
      }
    }
  } catch (cause) {
    throw new Error(
      `--from-glob ${pattern}: cannot list the folder "${dir}"`,
      { cause },
    );
  }
  return found.sort();
}
