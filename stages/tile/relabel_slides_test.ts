import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { describeLabelChange, relabelSlides } from "./relabel_slides.ts";

Deno.test("relabelSlides() changes only stored slides whose ref brings another label or split", async () => {
  const store = await Store.open(":memory:");
  try {
    await store.transaction(async (tx) => {
      await tx.upsertSlide({
        id: "a",
        path: "a.tiff",
        label: 0,
        status: "tiled",
      });
      await tx.upsertSlide({
        id: "b",
        path: "b.tiff",
        label: 1,
        split: "val",
        status: "tiled",
      });
    });
    const changes = await relabelSlides(store, [
      { id: "a", path: "a.tiff", label: 1, split: "test" },
      { id: "b", path: "b.tiff", label: 1 }, // same label, split kept
      { id: "c", path: "c.tiff", label: 0 }, // not in the store
    ]);
    assert.deepEqual(changes.map(describeLabelChange), [
      '"a": label 0 → 1, split none → test',
    ]);
    assert.deepEqual(
      await store.query("SELECT id, label, split FROM slides ORDER BY id"),
      [
        { id: "a", label: "1", split: "test" },
        { id: "b", label: "1", split: "val" },
      ],
    );
    assert.deepEqual(
      await relabelSlides(store, [{ id: "a", path: "a.tiff", label: 1 }]),
      [],
    );
  } finally {
    store.close();
  }
});
