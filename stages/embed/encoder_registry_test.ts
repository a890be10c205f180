import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { claimEncoderName } from "./encoder_registry.ts";

const uni = { name: "uni", fingerprint: "aaaa", source: "a.onnx", dim: 3 };

async function storeWithLegacyEmbeddings(dim: number): Promise<Store> {
  const store = await Store.open(":memory:");
  await store.slideTransaction("s1", async (tx) => {
    await tx.upsertSlide({ id: "s1", path: "s1.tiff", status: "tiled" });
    await tx.replaceTiles("s1", [{ tile: 0, x: 0, y: 0, size: 1, level: 0 }]);
    await tx.replaceEmbeddings("s1", "uni", [
      { tile: 0, features: new Float32Array(dim) },
    ]);
  });
  await store.exec("DELETE FROM encoders");
  return store;
}

Deno.test("claimEncoderName() registers a name once and accepts the same model again", async () => {
  const store = await Store.open(":memory:");
  try {
    await claimEncoderName(store, uni);
    await claimEncoderName(store, uni);
    const rows = await store.query("SELECT name, fingerprint FROM encoders");
    assert.deepEqual(rows, [{ name: "uni", fingerprint: "aaaa" }]);
    // No features stored under it yet: a new model may take the name over.
    await claimEncoderName(store, { ...uni, fingerprint: "bbbb" });
    const [row] = await store.query("SELECT fingerprint FROM encoders");
    assert.equal(row?.fingerprint, "bbbb");
  } finally {
    store.close();
  }
});

Deno.test("claimEncoderName() checks embeddings stored before the registry by their dimension", async () => {
  const same = await storeWithLegacyEmbeddings(3);
  try {
    await claimEncoderName(same, uni);
    assert.equal((await same.query("SELECT * FROM encoders")).length, 1);
  } finally {
    same.close();
  }
  const other = await storeWithLegacyEmbeddings(5);
  try {
    await assert.rejects(
      claimEncoderName(other, uni),
      /Encoder name "uni" has 5-dimensional embeddings .* but a\.onnx gives 3 features/,
    );
  } finally {
    other.close();
  }
});
