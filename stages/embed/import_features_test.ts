import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { Rng } from "../../core/random.ts";
import {
  fixtureCoords,
  fixtureFeatures,
  writeAcmilFile,
  writeClamFolder,
} from "../../testing/h5_fixtures.ts";
import { writeH5File } from "./h5_file.ts";
import { importFeatures } from "./import_features.ts";

const dir = await Deno.makeTempDir({ prefix: "asmil-import-" });
const rng = new Rng(17);
const randomFeatures = (n: number, d: number) =>
  Float32Array.from({ length: n * d }, () => rng.normal());

/** A CLAM/TRIDENT per-slide file written by h5wasm. */
async function slideFile(
  path: string,
  features: Float32Array,
  n: number,
  d: number,
) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await writeH5File(path, (f) => {
    f.create_dataset({ name: "features", data: features, shape: [n, d] });
    const coords = f.create_dataset({
      name: "coords",
      data: Int32Array.from(
        { length: 2 * n },
        (_, i) => (i % 2 ? 7 : 256 * (i >> 1)),
      ),
      shape: [n, 2],
    });
    coords.create_attribute("patch_size", 512);
    coords.create_attribute("patch_level", 0);
  });
}

async function storedFeatures(store: Store, slide: string, encoder: string) {
  const rows = await store.query(
    "SELECT features FROM embeddings WHERE slide = ? AND encoder = ? ORDER BY tile",
    [slide, encoder],
  );
  return Float32Array.from(rows.flatMap((r) => r.features as number[]));
}

Deno.test("importFeatures() round-trips CLAM files written with h5wasm, with labels from a CSV", async () => {
  const store = await Store.open(":memory:");
  try {
    const a = randomFeatures(3, 5), b = randomFeatures(2, 5);
    await slideFile(`${dir}/clam/case_a.h5`, a, 3, 5);
    await slideFile(`${dir}/clam/case_b.h5`, b, 2, 5);
    await Deno.writeTextFile(
      `${dir}/labels.csv`,
      "case_id,slide_id,label,split\nc1,case_a,tumor,train\nc2,case_b,normal,test\n",
    );
    const files = [`${dir}/clam/case_a.h5`, `${dir}/clam/case_b.h5`];
    const summary = await importFeatures({
      files,
      format: "clam",
      labels: `${dir}/labels.csv`,
      store,
    });
    assert.deepEqual(summary, {
      encoder: "clam",
      dim: 5,
      imported: ["case_a", "case_b"],
      skipped: [],
      failed: [],
      tiles: 5,
    });
    assert.deepEqual(await storedFeatures(store, "case_a", "clam"), a);
    assert.deepEqual(await storedFeatures(store, "case_b", "clam"), b);
    assert.deepEqual(
      await store.query(
        "SELECT tile, x, y, size FROM tiles WHERE slide = 'case_b' ORDER BY tile",
      ),
      [{ tile: 0, x: 0, y: 7, size: 512 }, {
        tile: 1,
        x: 256,
        y: 7,
        size: 512,
      }],
    );
    assert.deepEqual(
      await store.query(
        "SELECT id, label, split, status FROM slides ORDER BY id",
      ),
      [
        { id: "case_a", label: "tumor", split: "train", status: "imported" },
        { id: "case_b", label: "normal", split: "test", status: "imported" },
      ],
    );
    const again = await importFeatures({
      files,
      format: "clam",
      labels: `${dir}/labels.csv`,
      store,
    });
    assert.deepEqual(again.skipped, ["case_a", "case_b"]);
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() names TRIDENT embeddings after their features_<encoder> folder", async () => {
  const store = await Store.open(":memory:");
  try {
    const f = `${dir}/trident/20x_256px_0px_overlap/features_uni_v1/slide_9.h5`;
    await slideFile(f, randomFeatures(4, 3), 4, 3);
    await store.transaction((tx) =>
      tx.upsertSlide({ id: "slide_9", path: "slide_9.svs", label: "1" })
    );
    const s = await importFeatures({ files: [f], format: "trident", store });
    assert.equal(s.encoder, "uni_v1");
    assert.deepEqual(await store.query("SELECT label, status FROM slides"), [{
      label: "1",
      status: "pending",
    }]);
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() reads the ACMIL layout with float32 features and labels from group attributes", async () => {
  const store = await Store.open(":memory:");
  try {
    const x = randomFeatures(3, 4), y = randomFeatures(1, 4);
    await writeH5File(`${dir}/acmil32.h5`, (f) => {
      for (
        const [name, feat, n, label] of [["s_x", x, 3, 1], [
          "s_y",
          y,
          1,
          0,
        ]] as const
      ) {
        const g = f.create_group(name);
        g.create_dataset({ name: "feat", data: feat, shape: [n, 4] });
        g.create_dataset({
          name: "coords",
          data: new Int32Array(2 * n),
          shape: [n, 2],
        });
        g.create_attribute("label", label);
      }
    });
    await importFeatures({
      files: [`${dir}/acmil32.h5`],
      format: "acmil",
      encoder: "ctranspath",
      store,
    });
    assert.deepEqual(await storedFeatures(store, "s_x", "ctranspath"), x);
    assert.deepEqual(
      await store.query("SELECT id, label FROM slides ORDER BY id"),
      [{ id: "s_x", label: "1" }, {
        id: "s_y",
        label: "0",
      }],
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() decodes float16 ACMIL features exactly", async () => {
  const store = await Store.open(":memory:");
  try {
    const file =
      new URL("./testdata/acmil_float16.h5", import.meta.url).pathname;
    const s = await importFeatures({ files: [file], format: "acmil", store });
    assert.deepEqual(s.imported, ["slide_a", "slide_b"]);
    const a = await storedFeatures(store, "slide_a", "acmil");
    assert.equal(a.length, 12);
    assert.equal(a[0], 65504);
    assert.equal(a[1], -0.75);
    assert.equal(a[11], 0.333251953125); // 1/3 rounded to float16
    assert.deepEqual(
      await store.query(
        "SELECT x, y FROM tiles WHERE slide = 'slide_b' ORDER BY tile",
      ),
      [{ x: 0, y: 1024 }, { x: 512, y: 1024 }],
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() rejects NaN features naming the file, slide and entry, and writes nothing of that slide", async () => {
  const store = await Store.open(":memory:");
  try {
    const bad = randomFeatures(3, 2);
    bad[5] = NaN;
    await slideFile(`${dir}/nan/good.h5`, randomFeatures(3, 2), 3, 2);
    await slideFile(`${dir}/nan/bad.h5`, bad, 3, 2);
    await Deno.writeTextFile(
      `${dir}/nan.csv`,
      "slide_id,label\ngood,0\nbad,1\n",
    );
    await assert.rejects(
      importFeatures({
        files: [`${dir}/nan/good.h5`, `${dir}/nan/bad.h5`],
        format: "clam",
        labels: `${dir}/nan.csv`,
        store,
      }),
      /nan\/bad.h5: slide bad: feature \[2, 1\] is NaN: expected finite numbers/,
    );
    assert.deepEqual(
      await store.query(
        "SELECT slide, count(*) AS n FROM embeddings GROUP BY slide",
      ),
      [{ slide: "good", n: 3 }],
    );
    assert.deepEqual(
      await store.query("SELECT count(*) AS n FROM tiles WHERE slide = 'bad'"),
      [{ n: 0 }],
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() rejects mismatched dimensions before writing anything", async () => {
  const store = await Store.open(":memory:");
  try {
    await slideFile(`${dir}/dims/d1.h5`, randomFeatures(2, 6), 2, 6);
    await slideFile(`${dir}/dims/d2.h5`, randomFeatures(2, 7), 2, 7);
    await Deno.writeTextFile(`${dir}/dims.csv`, "slide,label\nd1,0\nd2,1\n");
    const files = [`${dir}/dims/d1.h5`, `${dir}/dims/d2.h5`];
    await assert.rejects(
      importFeatures({
        files,
        format: "clam",
        labels: `${dir}/dims.csv`,
        store,
      }),
      /dims\/d2.h5: slide d2 has 7-d features: expected 6 as in .*dims\/d1.h5/,
    );
    assert.deepEqual(
      await store.query("SELECT count(*) AS n FROM embeddings"),
      [{ n: 0 }],
    );
    await importFeatures({
      files: [files[0]!],
      format: "clam",
      labels: `${dir}/dims.csv`,
      store,
    });
    await assert.rejects(
      importFeatures({
        files: [files[1]!],
        format: "clam",
        labels: `${dir}/dims.csv`,
        store,
      }),
      /slide d2 has 7-d features: expected 6 as in the store's clam embeddings/,
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() rejects unknown slide ids, coordinate mismatches and missing datasets", async () => {
  const store = await Store.open(":memory:");
  try {
    await slideFile(`${dir}/unk/mystery.h5`, randomFeatures(2, 2), 2, 2);
    await Deno.writeTextFile(`${dir}/unk.csv`, "slide_id,label\nother,1\n");
    await assert.rejects(
      importFeatures({
        files: [`${dir}/unk/mystery.h5`],
        format: "clam",
        labels: `${dir}/unk.csv`,
        store,
      }),
      /unk\/mystery.h5: slide mystery is not listed in the labels file .*unk.csv/,
    );
    await assert.rejects(
      importFeatures({
        files: [`${dir}/unk/mystery.h5`],
        format: "clam",
        store,
      }),
      /slide mystery is unknown: it is not in the store's slides table and no labels file was given/,
    );
    await writeH5File(`${dir}/unk/short.h5`, (f) => {
      f.create_dataset({
        name: "features",
        data: new Float32Array(6),
        shape: [3, 2],
      });
      f.create_dataset({
        name: "coords",
        data: new Int32Array(4),
        shape: [2, 2],
      });
    });
    await assert.rejects(
      importFeatures({ files: [`${dir}/unk/short.h5`], format: "clam", store }),
      /short.h5: slide short: "coords" must be \[3, 2\] to match "features": current shape is \[2,2\]/,
    );
    await assert.rejects(
      importFeatures({
        files: [`${dir}/unk/short.h5`],
        format: "acmil",
        store,
      }),
      /short.h5 holds no slide groups/,
    );
    await Deno.writeTextFile(`${dir}/unk/text.h5`, "not hdf5");
    await assert.rejects(
      importFeatures({ files: [`${dir}/unk/text.h5`], format: "clam", store }),
      /Cannot read .*text.h5 as HDF5/,
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() imports a multi-slide float16 ACMIL cohort slide by slide, every value and coordinate as written", async () => {
  const store = await Store.open(":memory:");
  try {
    const file = `${dir}/cohort16.h5`;
    const ids = await writeAcmilFile(file, { slides: 4, tiles: 150, dim: 16 });
    const s = await importFeatures({ files: [file], format: "acmil", store });
    assert.deepEqual(s.imported, ids);
    assert.equal(s.tiles, 600);
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(
        await storedFeatures(store, id, "acmil"),
        new Float32Array(new Float16Array(fixtureFeatures(i, 150, 16))),
      );
      const tiles = await store.query(
        "SELECT x, y FROM tiles WHERE slide = ? ORDER BY tile",
        [id],
      );
      assert.deepEqual(
        tiles.flatMap((t) => [t.x, t.y]),
        Array.from(fixtureCoords(150)),
      );
    }
    assert.deepEqual(
      (await store.query("SELECT label FROM slides ORDER BY id")).map((r) =>
        r.label
      ),
      ["0", "1", "0", "1"],
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() reads a CLAM slide larger than one read block in blocks, byte-identical, and names a NaN in a later block by its row", async () => {
  const store = await Store.open(":memory:");
  try {
    // 2500 × 1024 float32 is 10 MB: two 8 MiB blocks (2048 + 452 rows)
    const [file] = await writeClamFolder(`${dir}/big`, {
      slides: 1,
      tiles: 2500,
      dim: 1024,
    });
    await Deno.writeTextFile(
      `${dir}/big.csv`,
      "slide_id,label\nslide_000,1\nbad_big,0\n",
    );
    await importFeatures({
      files: [file!],
      format: "clam",
      labels: `${dir}/big.csv`,
      store,
    });
    const stored = await storedFeatures(store, "slide_000", "clam");
    assert.deepEqual(
      new Uint8Array(stored.buffer),
      new Uint8Array(fixtureFeatures(0, 2500, 1024).buffer),
    );
    const bad = fixtureFeatures(0, 2500, 1024);
    bad[2300 * 1024 + 5] = Infinity;
    await slideFile(`${dir}/big/bad_big.h5`, bad, 2500, 1024);
    await assert.rejects(
      importFeatures({
        files: [`${dir}/big/bad_big.h5`],
        format: "clam",
        labels: `${dir}/big.csv`,
        store,
      }),
      /bad_big.h5: slide bad_big: feature \[2300, 5\] is Infinity: expected finite numbers/,
    );
  } finally {
    store.close();
  }
});

Deno.test("importFeatures() temporary folder is removed", async () => {
  await Deno.remove(dir, { recursive: true });
});
