/**
 * `asmil sql`: ad hoc SQL over the run store.
 *
 * @module
 */
import { Store } from "../../data/store.ts";
import type { CommandContext } from "../cli_context.ts";
import { formatRows, type SqlFormat } from "../sql_format.ts";

/**
 * Runs `query` against the context's store and prints the rows on stdout.
 * When no store was named and the default one does not exist yet, the query
 * runs against an empty in-memory store (with the schema and macros), and a
 * note says so; a named store is created if needed.
 */
export async function runSql(
  ctx: CommandContext,
  query: string,
  format: SqlFormat,
): Promise<void> {
  let store: Store;
  if (!ctx.dbGiven && !(await exists(ctx.db))) {
    ctx.info(`note: no run store at ${ctx.db}; using an empty in-memory one`);
    store = await Store.open(":memory:");
  } else {
    store = await ctx.openStore();
  }
  try {
    const { columns, rows } = await store.select(query);
    await writeStdout(formatRows(rows, columns, format));
  } finally {
    store.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}
