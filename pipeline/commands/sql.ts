/**
 * `asmil sql`: ad hoc SQL over the run store.
 *
 * @module
 */
import { Store } from "../../data/store.ts";
import type { CommandContext } from "../cli_context.ts";
import { formatRows, type SqlFormat } from "../sql_format.ts";
import { pathExists } from "../../core/path_exists.ts";

/**
 * Runs `query` against the context's store and prints the rows on stdout.
 * The store is opened read-only, so a stray `DROP` or `DELETE` cannot damage
 * it; `write` opens it for writing (and creates a named store that does not
 * exist). When no store was named and the default one does not exist yet,
 * the query runs against an empty in-memory store (with the schema and
 * macros), and a note says so.
 */
export async function runSql(
  ctx: CommandContext,
  query: string,
  format: SqlFormat,
  write = false,
): Promise<void> {
  let store: Store;
  if (!ctx.dbGiven && !(await pathExists(ctx.db))) {
    ctx.info(`note: no run store at ${ctx.db}; using an empty in-memory one`);
    store = await Store.open(":memory:");
  } else if (write || ctx.db === ":memory:") {
    store = await ctx.openStore();
  } else {
    if (!(await pathExists(ctx.db))) {
      throw new Error(
        `No run store at ${ctx.db}: asmil sql reads an existing store (add --write to create one)`,
      );
    }
    store = await Store.open(ctx.db, { readOnly: true });
  }
  try {
    const { columns, rows } = await store.select(query).catch((error) => {
      const message = error instanceof Error ? error.message : String(error);
      throw write || !/read-only/i.test(message) ? error : new Error(
        `${message}\nasmil sql opens the store read-only; add --write to change it`,
        { cause: error },
      );
    });
    await writeStdout(formatRows(rows, columns, format));
  } finally {
    store.close();
  }
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}
