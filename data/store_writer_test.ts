import assert from "node:assert/strict";
import { Store } from "./store.ts";

Deno.test("setSlideLabel() sets the label, and the split unless none is given", async () => {
  const store = await Store.open(":memory:");
  await store.transaction(async (tx) => {
    await tx.upsertSlide({ id: "a", path: "a.tiff", label: 0, split: "val" });
    await tx.setSlideLabel("a", 1);
  });
  assert.deepEqual(await store.slideLabels(), [
    { id: "a", label: "1", split: "val" },
  ]);
  await store.transaction((tx) => tx.setSlideLabel("a", "tumour", "test"));
  assert.deepEqual(await store.slideLabels(), [
    { id: "a", label: "tumour", split: "test" },
  ]);
  await store.transaction((tx) => tx.setSlideLabel("a", null, null));
  assert.deepEqual(await store.slideLabels(), [
    { id: "a", label: null, split: "test" },
  ]);
  store.close();
});

Deno.test("deleteMetricNames() deletes the named rows of one run, at one epoch and split when asked", async () => {
  const store = await Store.open(":memory:");
  const row = (
    run: string,
    epoch: number | null,
    split: string,
    name: string,
  ) => ({
    run,
    epoch,
    split,
    name,
    value: 1,
  });
  const rows = async () =>
    (await store.query(
      "SELECT run, epoch, split, name FROM metrics ORDER BY ALL",
    )).map((r) => `${r.run} ${r.epoch} ${r.split} ${r.name}`);
  await store.transaction((tx) =>
    tx.appendMetrics([
      row("r1", 3, "val", "auc"),
      row("r1", 3, "test", "auc"),
      row("r1", 4, "val", "auc"),
      row("r1", 3, "val", "n"),
      row("r1", null, "all", "js_last_half"),
      row("r2", 3, "val", "auc"),
    ])
  );
  await store.transaction((tx) =>
    tx.deleteMetricNames("r1", ["auc", "macro_f1"], { epoch: 3, split: "val" })
  );
  assert.deepEqual(await rows(), [
    "r1 3 test auc",
    "r1 3 val n",
    "r1 4 val auc",
    "r1 null all js_last_half",
    "r2 3 val auc",
  ]);
  await store.transaction((tx) =>
    tx.deleteMetricNames("r1", ["auc", "js_last_half"])
  );
  assert.deepEqual(await rows(), ["r1 3 val n", "r2 3 val auc"]);
  store.close();
});
