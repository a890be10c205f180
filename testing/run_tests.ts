/**
 * `deno task test`: runs `deno test --doc` (the tests and every JSDoc
 * example) with the project's permissions (and any arguments given, e.g. a
 * folder or `--filter`), then prints one line
 * per optional system library whose tests were skipped, with the count and
 * the `apt-get` line that brings them back. Exits with `deno test`'s code.
 *
 * Given no paths, it runs the suite as {@link TEST_SHARDS}: two `deno test`
 * processes side by side, each type-checking and running its own part, so
 * a 2-core machine is busy while one of them waits on a child process or a
 * file. The larger part streams its output; the other's follows when both
 * are done, then one line sums them. `ASMIL_TEST_PROCESSES=1` (or a
 * 1-core machine) runs it as one process.
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

/**
 * The parts `deno task test` without paths splits the suite into, as
 * `deno test` arguments: the command and end-to-end tests (`pipeline/`,
 * `tests/`: few tests, most of them whole commands in child processes) and
 * everything else (most tests and JSDoc examples, each example a module of
 * its own to load). Measured on the 2-core development machine, one after
 * the other on the same commit: 9 m 53 s as these two (8 m 32 s and
 * 9 m 42 s side by side), 14 m 1 s as one process.
 */
export const TEST_SHARDS: readonly (readonly string[])[] = [
  ["--ignore=pipeline,tests"],
  ["pipeline", "tests"],
];

/** Environment variable: `1` runs the suite as one `deno test` process. */
export const TEST_PROCESSES_ENV = "ASMIL_TEST_PROCESSES";

/** Counts from `deno test`'s last line (`ok | 3 passed (2 steps) | 1 failed | 2 ignored (5s)`). */
export interface TestCounts {
  passed: number;
  failed: number;
  ignored: number;
}

/**
 * The counts in `deno test`'s summary line, the last one in `output`
 * (colours removed); undefined when there is none (it did not get that far).
 *
 * @example
 * ```ts
 * import { testCounts } from "./run_tests.ts";
 * const c = testCounts("...\nFAILED | 917 passed (44 steps) | 2 failed | 31 ignored (9m2s)\n");
 * if (c?.passed !== 917 || c.failed !== 2 || c.ignored !== 31) throw new Error();
 * ```
 */
export function testCounts(output: string): TestCounts | undefined {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").filter((l) => /^(ok|FAILED) \| /.test(l));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const count = (word: string) =>
    Number(last.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  return {
    passed: count("passed"),
    failed: count("failed"),
    ignored: count("ignored"),
  };
}

/** Whether `args` name what to test (a path), rather than only flags. */
function namesPaths(args: readonly string[]): boolean {
  return args.some((a) => !a.startsWith("-"));
}

/** Starts `deno test --doc` on `args`, its output piped or to this terminal. */
function denoTest(
  args: readonly string[],
  log: string,
  output: "piped" | "inherit",
) {
  return new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", ...TEST_PERMISSIONS, ...args],
    env: { [SKIP_LOG_ENV]: log },
    stdin: output === "inherit" ? "inherit" : "null",
    stdout: output,
    stderr: output,
  }).spawn();
}

/** Runs the shards side by side; returns the exit code. */
async function runShards(args: readonly string[], log: string) {
  const start = performance.now();
  const children = TEST_SHARDS.map((shard) =>
    denoTest([...shard, ...args], log, "piped")
  );
  const outputs: string[] = TEST_SHARDS.map(() => "");
  const drain = async (
    i: number,
    stream: ReadableStream<Uint8Array>,
    live: WritableStream<Uint8Array> | undefined,
  ) => {
    const text = new TextDecoder();
    const writer = live?.getWriter();
    for await (const chunk of stream) {
      outputs[i] += text.decode(chunk, { stream: true });
      if (writer) await writer.write(chunk);
    }
    writer?.releaseLock();
  };
  const codes = await Promise.all(children.map(async (child, i) => {
    // The first shard streams; the others' output follows when all end.
    const live = i === 0;
    await Promise.all([
      drain(i, child.stdout, live ? Deno.stdout.writable : undefined),
      drain(i, child.stderr, live ? Deno.stderr.writable : undefined),
    ]);
    return (await child.status).code;
  }));
  for (const [i, shard] of TEST_SHARDS.entries()) {
    if (i === 0) continue;
    console.log(`\n── deno test ${shard.join(" ")} (ran beside the above) ──`);
    console.log(outputs[i]);
  }
  const counts = outputs.map(testCounts);
  const sum = (k: keyof TestCounts) =>
    counts.reduce((s, c) => s + (c?.[k] ?? 0), 0);
  const seconds = Math.round((performance.now() - start) / 1000);
  const failedShards = codes.flatMap((c, i) =>
    c === 0 ? [] : [`${TEST_SHARDS[i]!.join(" ")} exited ${c}`]
  );
  console.log(
    `${failedShards.length === 0 ? "ok" : "FAILED"} | ${
      sum("passed")
    } passed | ${sum("failed")} failed | ${
      sum("ignored")
    } ignored in ${TEST_SHARDS.length} processes (${Math.floor(seconds / 60)}m${
      seconds % 60
    }s)${failedShards.length ? `: ${failedShards.join("; ")}` : ""}`,
  );
  return codes.find((c) => c !== 0) ?? 0;
}

if (import.meta.main) {
  const log = await Deno.makeTempFile({ prefix: "asmil-skips-" });
  try {
    const sharded = !namesPaths(Deno.args) &&
      Deno.env.get(TEST_PROCESSES_ENV) !== "1" &&
      navigator.hardwareConcurrency > 1;
    const code = sharded
      ? await runShards(Deno.args, log)
      : (await denoTest(Deno.args, log, "inherit").status).code;
    for (const line of skipSummary(await Deno.readTextFile(log))) {
      console.error(line);
    }
    Deno.exitCode = code;
  } finally {
    await Deno.remove(log);
  }
}
