/**
 * For fault tests: runs the real `asmil` command line in a child process
 * and kills it with SIGKILL once it has committed a given amount of work.
 *
 * Work is measured by what the store's write-ahead log (`<db>.wal`) grows
 * by: every per-slide or per-epoch transaction appends to it, and a small
 * store is not checkpointed until it is closed. So a kill point given in
 * WAL bytes lands at the same place in the work however loaded the machine
 * is, unlike a delay from the start (which mostly measures start-up).
 *
 * @module
 */

import { asmilArgs } from "./asmil_process.ts";

/** Where to kill a run: after its WAL grew this much, then this long. */
export interface KillPoint {
  /** WAL growth (bytes, summed over increases) that triggers the kill. */
  walBytes: number;
  /** Milliseconds to wait after the trigger, so the kill lands mid-work. */
  delayMs: number;
}

/** How a run started by {@link asmilKilledAt} ended. */
export interface KilledRun {
  /** Whether SIGKILL ended it (false: it exited before the kill point). */
  killed: boolean;
  /** Exit code (137 after SIGKILL). */
  code: number;
  /** WAL growth seen before the process ended, in bytes. */
  walGrowth: number;
  /** Each increase seen: ms since the start and the growth so far. */
  trace: { ms: number; bytes: number }[];
  /** Wall milliseconds from the start to the end. */
  ms: number;
  stdout: string;
  stderr: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function walSize(db: string): number {
  try {
    return Deno.statSync(`${db}.wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Runs `asmil --db db …args` (as `deno task asmil` would) and kills it with
 * SIGKILL at `point`; without a point it runs to the end, which measures
 * the WAL growth of the whole command for choosing points.
 *
 * @example
 * ```ts ignore
 * const whole = await asmilKilledAt("s.duckdb", ["embed"]);
 * const r = await asmilKilledAt("t.duckdb", ["embed"], {
 *   walBytes: whole.walGrowth / 2,
 *   delayMs: 20,
 * });
 * if (r.killed) console.log("killed half way");
 * ```
 */
export async function asmilKilledAt(
  db: string,
  args: readonly string[],
  point?: KillPoint,
): Promise<KilledRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: asmilArgs(["--db", db, ...args]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { ASMIL_DEBUG: "0", NO_COLOR: "1" },
  }).spawn();
  const text = (s: ReadableStream<Uint8Array>) => new Response(s).text();
  const [stdout, stderr] = [text(child.stdout), text(child.stderr)];
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  const t0 = performance.now();
  const trace: KilledRun["trace"] = [];
  let last = walSize(db), growth = 0, killed = false;
  while (!exited) {
    const size = walSize(db);
    // A replayed WAL is truncated on open: only increases are work.
    if (size > last) {
      growth += size - last;
      trace.push({ ms: performance.now() - t0, bytes: growth });
    }
    last = size;
    if (point && growth >= point.walBytes) {
      await sleep(point.delayMs);
      try {
        child.kill("SIGKILL");
        killed = true;
      } catch {
        // It exited during the delay.
      }
      break;
    }
    await sleep(2);
  }
  const s = await status;
  const ms = performance.now() - t0;
  return {
    killed: killed && s.signal === "SIGKILL",
    code: s.code,
    walGrowth: growth,
    trace,
    ms,
    stdout: await stdout,
    stderr: await stderr,
  };
}
