/**
 * For tests: runs the real `asmil` command line in a child process, with
 * the permissions `deno task asmil` grants.
 *
 * @module
 */

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
