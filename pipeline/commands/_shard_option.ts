/**
 * The `--shard i/n` option shared by `synth`, `tile`, `embed` and
 * `import-features`, and where a shard's store goes.
 *
 * @module
 */
import type { CommandContext } from "../cli_context.ts";
import {
  resolveShard,
  type Shard,
  SHARD_COUNT_ENV,
  shardLabel,
  shardStorePath,
} from "../../core/shard.ts";

/** Help text of `--shard`. */
export const SHARD_HELP =
  "work on shard i of n of the slides (a hash of the slide id) and write its own store beside --db (x.shard-i-of-n.duckdb); none: no sharding";

/** Help text of `--shard`'s default. */
export const SHARD_DEFAULT =
  `a Slurm array's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, a Kubernetes Indexed Job's JOB_COMPLETION_INDEX/${SHARD_COUNT_ENV}, else none`;

/** A command's shard and the store it writes. */
export interface ShardTarget {
  shard: Shard | undefined;
  /** The shard's store, or the main store without a shard. */
  db: string;
}

/** Resolves `--shard` (or the job array's) against the context's store. */
export function shardTarget(
  ctx: CommandContext,
  option: string | undefined,
): ShardTarget {
  const shard = resolveShard(option);
  if (!shard) return { shard, db: ctx.db };
  const db = shardStorePath(ctx.db, shard);
  ctx.info(`shard ${shardLabel(shard)}: writing ${db}`);
  return { shard, db };
}
