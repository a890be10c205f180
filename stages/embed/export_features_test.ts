import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { exportFeatures } from "./export_features.ts";

async function seeded() {
  const store = await Store.open(":memory:");
  await store.slideTransaction("s'1", async (tx) => {
    await tx.upsertSlide({
      id: "s'1",
      path: "s1.tiff",
      label: "1",
      split: "train",
    });
    await tx.replaceTiles("s'1", [
      { tile: 0, x: 0, y: 0, size: 256, level: 0 },
      { tile: 1, x: 256, y: 0, size: 256, level: 0 },
    ]);
    await tx.replaceEmbeddings("s'1", "enc", [
      { tile: 0, features: [0.5, -1] },
      { tile: 1, features: [2, 3.25] },
    ]);
    await tx.replaceEmbeddings("s'1", "other", [{ tile: 0, features: [9] }]);
  });
  return store;
}

Deno.test("exportFeatures() writes one Parquet row per tile with coordinates, label and features", async () => {
  const store = await seeded();
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/it's.parquet`;
    assert.equal(
      await exportFeatures({ store, format: "parquet", out, encoder: "enc" }),
      2,
    );
    const rows = await store.query(
      `SELECT * FROM read_parquet('${
        out.replaceAll("'", "''")
      }') ORDER BY tile`,
    );
    assert.deepEqual(
      rows.map((
        r,
      ) => [
        r.slide,
        r.tile,
        r.x,
        r.size,
        r.label,
        r.split,
        r.encoder,
        r.features,
      ]),
      [
        ["s'1", 0, 0, 256, "1", "train", "enc", [0.5, -1]],
        ["s'1", 1, 256, 256, "1", "train", "enc", [2, 3.25]],
      ],
    );
    assert.equal(await exportFeatures({ store, format: "parquet", out }), 3);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportFeatures() names the encoders it has when asked for an unknown one", async () => {
  const store = await seeded();
  try {
    await assert.rejects(
      exportFeatures({
        store,
        format: "parquet",
        out: "/tmp/never.parquet",
        encoder: "uni",
      }),
      /No embeddings from encoder "uni" to export to \/tmp\/never.parquet: the store has "enc", "other"/,
    );
  } finally {
    store.close();
  }
});
