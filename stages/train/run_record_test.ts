import assert from "node:assert/strict";
import { featureBags } from "../../data/feature_bags.ts";
import { Store } from "../../data/store.ts";
import { createModel } from "../../models/all.ts";
import { useBackendFromEnv } from "../../models/backend/mod.ts";
import { trainModel } from "./trainer.ts";

await useBackendFromEnv({ quiet: true });

const bags = featureBags({ count: 12, dim: 8, shift: 3, seed: 5 });

async function train(
  store: Store,
  outDir: string,
  stopAfterEpoch?: number,
): Promise<void> {
  const model = createModel("abmil", {
    inputDim: 8,
    numClasses: 2,
    innerDim: 16,
    attentionDim: 8,
    seed: 1,
  });
  try {
    for await (
      const _ of trainModel(model, bags, {
        runId: "r",
        epochs: 3,
        lr: 5e-3,
        seed: 1,
        quiet: true,
        store,
        outDir,
        ...(stopAfterEpoch === undefined ? {} : { stopAfterEpoch }),
      })
    ) {
      // epochs are recorded in the store
    }
  } finally {
    model.dispose();
  }
}

async function history(store: Store): Promise<unknown[]> {
  const rows = async (sql: string) =>
    (await store.query(sql)).map((r) => JSON.stringify(r));
  return [
    await rows(
      "SELECT run, epoch, losses, lr, metrics FROM epochs ORDER BY ALL",
    ),
    await rows(
      "SELECT run, epoch, slide, split, scale, q FROM attention_history ORDER BY ALL",
    ),
    await rows(
      "SELECT run, epoch, slide, split, probabilities, label FROM predictions ORDER BY ALL",
    ),
    await rows("SELECT id, status FROM runs"),
  ];
}

Deno.test("a run killed after recording its first epoch but before its first checkpoint starts again with no rows twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-run-record-" });
  const whole = await Store.open(":memory:");
  const killed = await Store.open(":memory:");
  try {
    await train(whole, `${dir}/whole`);
    // The epoch is committed to the store; its checkpoint file, written
    // after the commit, never lands.
    await train(killed, `${dir}/killed`, 0);
    await Deno.remove(`${dir}/killed/r/checkpoint.bin`);
    await train(killed, `${dir}/killed`);
    const [want, got] = [await history(whole), await history(killed)];
    const evaluated = bags.filter((b) => b.split !== "train").length;
    assert.equal((want[1] as string[]).length, 3 * evaluated);
    assert.deepEqual(got, want);
  } finally {
    whole.close();
    killed.close();
    await Deno.remove(dir, { recursive: true });
  }
});
