/**
 * `asmil merge SHARD_STORES… --into STORE`: shard stores (from `--shard`
 * runs of tile, embed, import-features) into one run store, in one
 * transaction (data/merge_stores.ts). Prints what each shard added.
 *
 * @module
 */
import { resolve } from "node:path";
import { commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";
import { described, showDefaults } from "../cli_args.ts";
import { shardOfStorePath } from "../../core/shard.ts";
import { globFiles } from "../glob_files.ts";
import type { ShardMerged } from "../../data/merge_stores.ts";

/** Adds `merge` to `program`. */
export const registerMerge: RegisterCommand = (program, globals) => {
  const merge = program
    .command("merge")
    .description(
      "merge shard stores into one run store (all or nothing; merging again adds nothing)",
    )
    .argument("[shards...]", "shard store files")
    .option(
      "--into <store>",
      "the store to merge into (created when missing)",
    )
    .option(
      "--from-glob <pattern>",
      "shard stores matching a file-name pattern (* and ?), e.g. 'runs/asmil.shard-*-of-4.duckdb'",
    )
    .action(async (paths, o) => {
      const ctx = await commandContext(globals());
      const into = o.into ?? ctx.db;
      const shards = [...paths];
      if (o.fromGlob !== undefined) {
        // A broad pattern may match the store merged into: not a shard.
        const found = (await globFiles(o.fromGlob)).filter((p) =>
          resolve(p) !== resolve(into)
        );
        if (found.length === 0) {
          throw new Error(`--from-glob ${o.fromGlob} matches no shard store`);
        }
        shards.push(...found);
      }
      const unique = [...new Set(shards)];
      if (unique.length === 0) {
        throw new Error(
          "asmil merge needs shard stores: name them, or give --from-glob",
        );
      }
      for (const line of missingShards(unique)) ctx.info(line);
      const { mergeStores } = await import("../../data/merge_stores.ts");
      const store = await ctx.openStore(into);
      try {
        const summary = await mergeStores(store, unique);
        for (const s of summary.shards) console.log(describe(s));
        const sum = (f: (s: ShardMerged) => number) =>
          summary.shards.reduce((a, s) => a + f(s), 0);
        console.log(
          `merged ${summary.shards.length} shard stores into ${into} in ${
            summary.seconds.toFixed(1)
          } s: ${sum((s) => s.slides)} slides, ${sum((s) => s.tiles)} tiles, ${
            sum((s) => s.embeddings.reduce((a, e) => a + e.rows, 0))
          } embeddings, ${sum((s) => s.runs)} runs added; ${
            sum((s) => s.slidesPresent)
          } slides were already there`,
        );
      } finally {
        store.close();
      }
    });
  showDefaults(merge, {
    into: described("the --db store"),
    fromGlob: described("none"),
  });
};

function describe(s: ShardMerged): string {
  const embeddings = s.embeddings.length === 0
    ? "no embeddings"
    : s.embeddings.map((e) =>
      `${e.rows} ${e.encoder} embeddings of ${e.slides} slides`
    ).join(", ");
  return `${s.path}: ${s.slides} slides (${s.slidesPresent} already there), ${s.tiles} tiles, ${embeddings}, ${s.runs} runs (${s.runsPresent} already there)`;
}

/** Notes on shard sets (x.shard-i-of-n) named without all their shards. */
function missingShards(paths: string[]): string[] {
  const sets = new Map<string, Set<number>>();
  for (const p of paths) {
    const shard = shardOfStorePath(p);
    if (!shard) continue;
    const key = p.replace(
      /\.shard-\d+-of-(\d+)((\.[^./]*)?)$/,
      ".shard-*-of-$1$2",
    );
    const have = sets.get(key) ?? new Set<number>();
    have.add(shard.index);
    sets.set(key, have);
  }
  const notes: string[] = [];
  for (const [pattern, have] of sets) {
    const count = Number(/-of-(\d+)/.exec(pattern)?.[1]);
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) =>
      !have.has(i)
    );
    if (missing.length > 0) {
      notes.push(
        `note: ${pattern} lacks shard(s) ${
          missing.join(", ")
        } of ${count}; merge them later (merging is idempotent)`,
      );
    }
  }
  return notes;
}
