/**
 * Who has a run store open. DuckDB lets one process write a database file
 * and no other process open it meanwhile, and its refusal names only a PID
 * and the `deno` binary. Each process that opens a store leaves a small
 * file in a folder beside it (`.<store name>.holders/<pid>.json`: the
 * command line, read or write, since when), removed on close; a refused
 * open reads them to say which asmil command holds the store and how to go
 * on. Files of processes that are gone are ignored and removed.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** One process holding a store. */
export interface StoreHolder {
  pid: number;
  /** The command line, e.g. `asmil --db runs/a.duckdb train --model abmil`. */
  command: string;
  mode: "read" | "write";
  /** ISO time the store was opened. */
  since: string;
}

let holderCommand: string | undefined;

/**
 * Sets how this process describes itself in holder files (the CLI passes
 * `asmil …args`); default: the main module's file name and the arguments.
 */
export function describeStoreHolder(command: string): void {
  holderCommand = command;
}

function thisCommand(): string {
  if (holderCommand !== undefined) return holderCommand;
  const main = basename(new URL(Deno.mainModule).pathname);
  return [main, ...Deno.args].join(" ");
}

/** The folder of holder files of the store at `db`. */
export function holdersFolder(db: string): string {
  return join(dirname(db), `.${basename(db)}.holders`);
}

/**
 * Records that this process holds `db`; returns the function that removes
 * the record (synchronous, for close). Best effort: a folder that cannot be
 * written (a store on read-only media) records nothing.
 */
export function registerHolder(
  db: string,
  mode: StoreHolder["mode"],
): () => void {
  const folder = holdersFolder(db);
  const file = join(folder, `${Deno.pid}.json`);
  const holder: StoreHolder = {
    pid: Deno.pid,
    command: thisCommand(),
    mode,
    since: new Date().toISOString(),
  };
  try {
    Deno.mkdirSync(folder, { recursive: true });
    Deno.writeTextFileSync(file, JSON.stringify(holder));
  } catch {
    return () => {};
  }
  return () => {
    try {
      Deno.removeSync(file);
      Deno.removeSync(folder); // only when empty
    } catch {
      // Another holder's file is still there, or it was removed already.
    }
  };
}

/** Whether process `pid` exists (true where that cannot be told). */
function alive(pid: number): boolean {
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true; // no /proc: assume it is
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The live holders of `db` other than this process; stale files are removed. */
export function storeHolders(db: string): StoreHolder[] {
  const folder = holdersFolder(db);
  const holders: StoreHolder[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(folder)];
  } catch {
    return holders;
  }
  for (const entry of entries) {
    const m = /^(\d+)\.json$/.exec(entry.name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === Deno.pid) continue;
    if (!alive(pid)) {
      try {
        Deno.removeSync(join(folder, entry.name));
      } catch { /* removed meanwhile */ }
      continue;
    }
    try {
      holders.push(
        JSON.parse(Deno.readTextFileSync(join(folder, entry.name))),
      );
    } catch { /* being written or removed */ }
  }
  return holders.sort((a, b) => a.since < b.since ? -1 : 1);
}

/** Whether `message` is DuckDB refusing an open because of another process's lock. */
export function isLockConflict(message: string): boolean {
  return /Could not set lock on file|Conflicting lock is held/i.test(message);
}

/**
 * The message for an open of `db` refused with DuckDB's `message`: which
 * process holds it (by its holder file, else DuckDB's PID and program) and
 * how to go on.
 *
 * @example
 * ```ts
 * import { lockConflictMessage } from "./store_holders.ts";
 * const m = lockConflictMessage(
 *   "runs/a.duckdb",
 *   'IO Error: Could not set lock on file "runs/a.duckdb": Conflicting lock is held in /usr/bin/deno (PID 42).',
 *   [{ pid: 42, command: "asmil train --model abmil", mode: "write", since: "2026-01-01T10:00:00.000Z" }],
 * );
 * if (!m.includes("asmil train --model abmil (PID 42, writing since 2026-01-01 10:00:00 UTC")) throw new Error(m);
 * ```
 */
export function lockConflictMessage(
  db: string,
  message: string,
  holders: readonly StoreHolder[],
): string {
  const m = /held in (.+?) \(PID (\d+)\)/.exec(message);
  const pid = m ? Number(m[2]) : undefined;
  const named = holders.filter((h) => pid === undefined || h.pid === pid);
  const who = named.length > 0
    ? named.map((h) =>
      `${h.command} (PID ${h.pid}, ${
        h.mode === "write" ? "writing" : "reading"
      } since ${h.since.replace("T", " ").replace(/\.\d+Z$/, " UTC")})`
    ).join(", ")
    : m
    ? `${m[1]} (PID ${m[2]}), not an asmil command that says what it runs`
    : "another process";
  const writer = named.some((h) => h.mode === "write") || named.length === 0;
  const holderPid = pid ?? named[0]?.pid;
  const stop = writer
    ? `; or stop it${
      holderPid === undefined ? "" : ` (kill ${holderPid})`
    }: training, tiling and embedding resume where they stopped when the same command runs again`
    : "";
  return `Run store "${db}" is in use by ${who}. DuckDB lets one process write a store and no other process open it meanwhile, so it cannot be opened while ${
    writer ? "that process writes it" : "that process reads it"
  }. Wait for it: give --wait SECONDS (e.g. asmil --wait 3600 …) to retry until the store is free${stop}. (DuckDB: ${message})`;
}
