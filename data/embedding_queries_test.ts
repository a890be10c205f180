import assert from "node:assert/strict";
import { Store } from "./store.ts";
import { storeWith } from "../testing/store_with.ts";
import { forgetEncoderSql } from "./embedding_queries.ts";

const UNI = { name: "uni", fingerprint: "f1", source: "uni.onnx", dim: 2 };

function storeWithEmbeddings(): Promise<Store> {
  return storeWith(async (tx) => {
    await tx.upsertSlide({ id: "a", path: "a.tiff", label: 1, split: "val" });
    await tx.replaceTiles("a", [
      { tile: 0, x: 0, y: 0, size: 256, level: 0 },
      { tile: 1, x: 256, y: 0, size: 256, level: 0 },
    ]);
    await tx.replaceEmbeddings("a", "uni", [
      { tile: 1, features: [3, 4] },
      { tile: 0, features: [1, 2] },
    ]);
    await tx.replaceEmbeddings("b", "uni", [{ tile: 0, features: [5, 6] }]);
    await tx.replaceEmbeddings("a", "resnet", [{ tile: 0, features: [7] }]);
  });
}

Deno.test("recordEncoder() records an encoder name and replaces what it stood for", async () => {
  const store = await Store.open(":memory:");
  assert.equal(await store.encoderIdentity("uni"), undefined);
  await store.recordEncoder(UNI);
  assert.deepEqual(await store.encoderIdentity("uni"), UNI);
  await store.recordEncoder({ ...UNI, fingerprint: "f2", dim: 3 });
  assert.deepEqual(await store.encoderIdentity("uni"), {
    ...UNI,
    fingerprint: "f2",
    dim: 3,
  });
  store.close();
});

Deno.test("the embedding reads name encoders, slides, dimensions and counts", async () => {
  const store = await storeWithEmbeddings();
  assert.deepEqual(await store.embeddingEncoders(), ["resnet", "uni"]);
  assert.deepEqual([...await store.embeddedSlideIds("uni")].sort(), ["a", "b"]);
  assert.equal((await store.embeddedSlideIds("none")).size, 0);
  assert.equal(await store.embeddingDim("uni"), 2);
  assert.equal(await store.embeddingDim("none"), 0);
  assert.equal(await store.embeddingCount(), 4);
  assert.equal(await store.embeddingCount("uni"), 3);
  assert.equal(await store.embeddingCount("none"), 0);
  store.close();
});

Deno.test("storedEmbeddings() gives one slide's features by tile", async () => {
  const store = await storeWithEmbeddings();
  const stored = await store.storedEmbeddings("a", "uni");
  assert.deepEqual([...stored.keys()].sort(), [0, 1]);
  assert.deepEqual(stored.get(1), Float32Array.from([3, 4]));
  assert.equal((await store.storedEmbeddings("a", "none")).size, 0);
  store.close();
});

Deno.test("exportEmbeddings() writes one Parquet row per tile with coordinates, label and split", async () => {
  const store = await storeWithEmbeddings();
  const dir = await Deno.makeTempDir({ prefix: "asmil-export-" });
  const out = `${dir}/it's.parquet`;
  try {
    await store.exportEmbeddings(out, "uni");
    const rows = await store.query(
      `SELECT slide, tile, x, label, split, encoder FROM read_parquet('${
        out.replaceAll("'", "''")
      }')`,
    );
    assert.deepEqual(rows, [
      { slide: "a", tile: 0, x: 0, label: "1", split: "val", encoder: "uni" },
      { slide: "a", tile: 1, x: 256, label: "1", split: "val", encoder: "uni" },
      {
        slide: "b",
        tile: 0,
        x: null,
        label: null,
        split: null,
        encoder: "uni",
      },
    ]);
    await store.exportEmbeddings(out);
    const [all] = await store.query(
      `SELECT count(*) AS n FROM read_parquet('${out.replaceAll("'", "''")}')`,
    );
    assert.equal(all?.n, 4);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("forgetEncoderSql() quotes the encoder name", () => {
  assert.equal(
    forgetEncoderSql("o'neil"),
    "DELETE FROM embeddings WHERE encoder = 'o''neil'; DELETE FROM encoders WHERE name = 'o''neil';",
  );
});
