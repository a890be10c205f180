/**
 * `deno task test`: runs `deno test --doc` (the tests and every JSDoc
 * example) with the project's permissions (and any arguments given, e.g. a
 * folder or `--filter`), then prints one line
 * per optional system library whose tests were skipped, with the count and
 * the `apt-get` line that brings them back. Exits with `deno test`'s code.
 *
 * @module
 */
/** File each skipped test appends `lib<TAB>what` to (system_libs.ts). */
export const SKIP_LOG_ENV = "ASMIL_SKIP_LOG";

/** The permissions the tests run with (`deno task test`, and the test files that start `deno test` again in a child process). */
export const TEST_PERMISSIONS: readonly string[] = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
];

/**
 * The summary lines for a skip log (`lib<TAB>what` per skipped test).
 *
 * @example
 * ```ts
 * import { skipSummary } from "./run_tests.ts";
 * const lines = skipSummary("chromium\tscreenshots\nchromium\tscreenshots\n");
 * if (!lines[0]!.startsWith("skipped 2 tests: chromium not installed")) {
 *   throw new Error(lines[0]);
 * }
 * ```
 */
export function skipSummary(log: string): string[] {
  const byLib = new Map<string, { count: number; what: Set<string> }>();
  for (const line of log.split("\n")) {
    if (!line) continue;
    const [lib = "", what = ""] = line.split("\t");
    const entry = byLib.get(lib) ?? { count: 0, what: new Set<string>() };
    entry.count++;
    entry.what.add(what);
    byLib.set(lib, entry);
  }
  if (byLib.size === 0) return [];
  const total = [...byLib.values()].reduce((s, e) => s + e.count, 0);
  const parts = [...byLib].map(([lib, e]) =>
    `${lib} not installed (${e.count}: ${[...e.what].join("; ")})`
  );
  return [
    `skipped ${total} test${total === 1 ? "" : "s"}: ${parts.join(", ")}`,
    `  to run them: apt-get install ${
      [...byLib.keys()].join(" ")
    } (CI=true or ASMIL_REQUIRE_SYSTEM_LIBS=1 makes them required)`,
  ];
}

if (import.meta.main) {
  const log = await Deno.makeTempFile({ prefix: "asmil-skips-" });
  try {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--doc", ...TEST_PERMISSIONS, ...Deno.args],
      env: { [SKIP_LOG_ENV]: log },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    for (const line of skipSummary(await Deno.readTextFile(log))) {
      console.error(line);
    }
    Deno.exitCode = code;
  } finally {
    await Deno.remove(log);
  }
}
