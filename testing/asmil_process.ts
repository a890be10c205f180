/**
 * For tests: runs the real `asmil` command line in a child process, with
 * the permissions `deno task asmil` grants.
 *
 * @module
 */

import assert from "node:assert/strict";

const CLI = new URL("../pipeline/cli.ts", import.meta.url).pathname;

/** What a finished `asmil` process printed and returned. */
export interface AsmilResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The `deno` arguments that run the asmil CLI with `args`, with the
 * permissions `deno task asmil` grants.
 *
 * @example
 * ```ts
 * import { asmilArgs } from "./asmil_process.ts";
 * if (asmilArgs(["models"]).at(-1) !== "models") throw new Error();
 * ```
 */
export function asmilArgs(args: readonly string[]): string[] {
  return [
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    CLI,
    ...args,
  ];
}

/**
 * Runs `asmil …args` (in `cwd` when given) and collects its output.
 *
 * @example
 * ```ts ignore
 * const r = await asmil(["--db", ":memory:", "sql", "select 1"]);
 * if (r.code !== 0) throw new Error(r.stderr);
 * ```
 */
export async function asmil(
  args: string[],
  options: { cwd?: string } = {},
): Promise<AsmilResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: asmilArgs(args),
    stdout: "piped",
    stderr: "piped",
    env: { ASMIL_DEBUG: "0", NO_COLOR: "1" },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/**
 * Runs `asmil …args` like {@link asmil} and fails, naming the command and
 * what it printed to stderr, unless it exits 0.
 *
 * @example
 * ```ts ignore
 * const { stdout } = await asmilOk(["--db", ":memory:", "sql", "select 1"]);
 * ```
 */
export async function asmilOk(
  args: string[],
  options: { cwd?: string } = {},
): Promise<AsmilResult> {
  const r = await asmil(args, options);
  assert.equal(r.code, 0, `asmil ${args.join(" ")}\n${r.stderr}`);
  return r;
}

/**
 * The `asmil` arguments that run `query` on the store `db` and print CSV;
 * `write` opens the store for writing.
 *
 * @example
 * ```ts
 * import { sqlArgs } from "./asmil_process.ts";
 * if (sqlArgs("s.duckdb", "select 1").join(" ") !== "--db s.duckdb sql --format csv select 1") {
 *   throw new Error();
 * }
 * ```
 */
export function sqlArgs(
  db: string,
  query: string,
  options: { write?: boolean } = {},
): string[] {
  return [
    "--db",
    db,
    "sql",
    ...(options.write ? ["--write"] : []),
    "--format",
    "csv",
    query,
  ];
}

/**
 * What `asmil sql` prints as CSV for `query` on the store `db`; fails unless
 * it exits 0.
 *
 * @example
 * ```ts ignore
 * const csv = await asmilSql(db, "select count(*) as n from slides");
 * ```
 */
export async function asmilSql(
  db: string,
  query: string,
  options: { write?: boolean } = {},
): Promise<string> {
  return (await asmilOk(sqlArgs(db, query, options))).stdout;
}
