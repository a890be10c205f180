/**
 * What every command gets: the resolved configuration (defaults ← config
 * file ← global flags) and helpers to open the store and report progress.
 *
 * @module
 */
import { dirname } from "node:path";
import { type Config, loadConfig, parseConfig } from "./config.ts";
import { openStore, type Store } from "../data/store.ts";
import { Progress, type ProgressOptions } from "../core/progress.ts";

/** Default location of the run store. */
export const DEFAULT_DB = "runs/asmil.duckdb";

/** Global options shared by all commands. */
export interface GlobalOptions {
  db?: string;
  config?: string;
  seed?: number;
  quiet?: boolean;
}

/** The context a command runs in. */
export interface CommandContext {
  config: Config;
  /** Path of the run store. */
  db: string;
  /** Folder of the run store (where runs, reports and caches go). */
  dir: string;
  /** Whether the store path was given (flag or config) rather than defaulted. */
  dbGiven: boolean;
  quiet: boolean;
  /** Opens the run store, or another store beside it (a shard's), creating the default folder. */
  openStore(path?: string): Promise<Store>;
  /** A progress reporter honouring `--quiet`. */
  progress(label: string, options?: ProgressOptions): Progress;
  /** Prints a note on stderr unless quiet. */
  info(message: string): void;
}

/** Resolves the configuration from the global options. */
export async function commandContext(
  globals: GlobalOptions,
): Promise<CommandContext> {
  const config = globals.config
    ? await loadConfig(globals.config)
    : parseConfig({}, "defaults");
  if (globals.seed !== undefined) config.seed = globals.seed;
  if (globals.quiet !== undefined) config.quiet = globals.quiet;
  const db = globals.db ?? config.db ?? DEFAULT_DB;
  const quiet = config.quiet;
  return {
    config,
    db,
    dir: dirname(db),
    dbGiven: (globals.db ?? config.db) !== undefined,
    quiet,
    async openStore(path = db) {
      if (path !== ":memory:") {
        const given = (globals.db ?? config.db) !== undefined;
        if (!given) await Deno.mkdir(dirname(path), { recursive: true });
        else if (!(await isDirectory(dirname(path)))) {
          // A typo in an explicit path must not create a stray folder.
          throw new Error(
            `Cannot open run store "${path}": its folder "${
              dirname(path)
            }" does not exist (create it first, or leave out --db for ${DEFAULT_DB})`,
          );
        }
      }
      const store = await openStore(path);
      for (const note of store.notes) if (!quiet) console.error(note);
      return store;
    },
    progress(label, options = {}) {
      return new Progress(label, { quiet, ...options });
    },
    info(message) {
      if (!quiet) console.error(message);
    },
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
