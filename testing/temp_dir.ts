/**
 * For tests: a fresh temporary folder for the length of one test.
 *
 * @module
 */

/**
 * Runs `fn` with a new temporary folder (named with `prefix`) and removes
 * the folder afterwards, whether `fn` succeeds or throws.
 *
 * @example
 * ```ts
 * import { withTempDir } from "./temp_dir.ts";
 * const seen = await withTempDir("asmil-example-", async (dir) => {
 *   await Deno.writeTextFile(`${dir}/a.txt`, "a");
 *   return dir;
 * });
 * if (await Deno.stat(seen).then(() => true, () => false)) throw new Error();
 * ```
 */
export async function withTempDir<T>(
  prefix: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Registers a test that runs `fn` with a fresh temporary folder (see
 * {@link withTempDir}). Deno's resource and op sanitizers are off: these
 * tests run `asmil` in child processes or leave DuckDB's native handles to
 * the process.
 *
 * @example
 * ```ts ignore
 * tempDirTest("asmil sql creates a store with --write", async (dir) => {
 *   await asmilOk(["--db", `${dir}/s.duckdb`, "sql", "--write", "select 1"]);
 * });
 * ```
 */
export function tempDirTest(
  name: string,
  fn: (dir: string) => Promise<void>,
): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => withTempDir("asmil-test-", fn),
  });
}
