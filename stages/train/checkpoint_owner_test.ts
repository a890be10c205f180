import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { encodeCheckpoint, readCheckpoint } from "./checkpoint.ts";
import { checkCheckpointOwner, checkpointStore } from "./checkpoint_owner.ts";

Deno.test("a checkpoint records its store and resumes only into that store, when it knows the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-owner-" });
  const a = await Store.open(`${dir}/a.duckdb`);
  const b = await Store.open(`${dir}/b.duckdb`);
  try {
    const owner = await checkpointStore(a);
    assert.ok(owner && owner.path.endsWith("/a.duckdb"));
    assert.notEqual(owner.id, (await checkpointStore(b))?.id);
    const path = `${dir}/r1/checkpoint.bin`;
    await Deno.mkdir(`${dir}/r1`);
    await Deno.writeFile(
      path,
      encodeCheckpoint({
        run: "r1",
        epoch: 2,
        rngState: 7,
        best: { epoch: 1, score: 1 },
        store: owner,
        variables: [],
        optimizers: [],
      }),
    );
    const meta = (await readCheckpoint(path))!;
    assert.deepEqual(meta.store, owner);
    for (const s of [a, b]) {
      await s.transaction((tx) =>
        tx.upsertRun({ id: "r1", model: "abmil", config: {} })
      );
    }
    await checkCheckpointOwner(meta, a, path);
    await assert.rejects(
      checkCheckpointOwner(meta, b, path),
      /checkpoint .*r1\/checkpoint\.bin \(after epoch 3\) belongs to run store .*a\.duckdb, not to .*b\.duckdb/,
    );
    // A checkpoint without a store (older) still needs the run in the store.
    const { store: _, ...older } = meta;
    await checkCheckpointOwner(older, b, path);
    await b.exec("DELETE FROM runs");
    await assert.rejects(
      checkCheckpointOwner(older, b, path),
      /has no record of/,
    );
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
