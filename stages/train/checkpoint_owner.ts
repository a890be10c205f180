/**
 * Which run store a checkpoint belongs to. Checkpoints live in files beside
 * the store (`<outDir>/<run>/`), and two stores in one folder share that
 * folder, so the run id alone would let a run "resume" from another store's
 * checkpoint: nothing trained, nothing recorded. A checkpoint records its
 * store's id and path; resuming checks them and that the store knows the run.
 *
 * @module
 */
import { resolve } from "node:path";
import type { Store } from "../../data/store.ts";
import type { CheckpointMeta } from "./checkpoint.ts";

/**
 * What a checkpoint written for `store` records about it (undefined for a
 * store without an id).
 *
 * @example
 * ```ts
 * import { Store } from "../../data/store.ts";
 * import { checkpointStore } from "./checkpoint_owner.ts";
 * const store = await Store.open(":memory:");
 * const owner = await checkpointStore(store);
 * if (!owner?.id) throw new Error("a writable store has an id");
 * store.close();
 * ```
 */
export async function checkpointStore(
  store: Store,
): Promise<CheckpointMeta["store"]> {
  const id = await store.storeId();
  if (id === undefined) return undefined;
  return {
    id,
    path: store.path === ":memory:" ? store.path : resolve(store.path),
  };
}

/**
 * Throws unless the checkpoint at `path` (of run `run`, `meta` its header)
 * may be resumed into `store`: it was written for this store (when it says)
 * and the store has a record of the run. The message says how to go on.
 *
 * @example
 * ```ts
 * import { Store } from "../../data/store.ts";
 * import { checkCheckpointOwner } from "./checkpoint_owner.ts";
 * const store = await Store.open(":memory:");
 * const meta = { run: "r1", epoch: 4, rngState: 1, best: { epoch: 4, score: 1 } };
 * let refused = false;
 * await checkCheckpointOwner(meta, store, "runs/r1/checkpoint.bin").catch(() => refused = true);
 * if (!refused) throw new Error("a store without run r1 must not resume it");
 * store.close();
 * ```
 */
export async function checkCheckpointOwner(
  meta: CheckpointMeta,
  store: Store,
  path: string,
): Promise<void> {
  const here = await checkpointStore(store);
  const folder = path.replace(/\/[^/]*$/, "");
  const wayOut =
    `give this run another id (--run), keep this store's runs in another folder (--out, or --db in another folder), or delete ${folder} to train "${meta.run}" from the start in this store`;
  if (meta.store && here && meta.store.id !== here.id) {
    throw new Error(
      `Cannot resume run "${meta.run}": its checkpoint ${path} (after epoch ${
        meta.epoch + 1
      }) belongs to run store ${meta.store.path}, not to ${here.path}: ${wayOut}`,
    );
  }
  if (!(await store.hasRun(meta.run))) {
    throw new Error(
      `Cannot resume run "${meta.run}": its checkpoint ${path} (after epoch ${
        meta.epoch + 1
      }) is of a run that run store ${
        here?.path ?? store.path
      } has no record of (written for another store, or the store was replaced): ${wayOut}`,
    );
  }
}
