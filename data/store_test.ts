import assert from "node:assert/strict";
import { openStore, Store } from "./store.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

async function tempDb(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "asmil-store-" });
  return `${dir}/run.duckdb`;
}

Deno.test("openStore() creates every table at the current schema version", async () => {
  const store = await openStore(":memory:");
  assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
  const tables = (await store.query(
    "SELECT table_name FROM information_schema.tables ORDER BY 1",
  )).map((r) => r.table_name);
  for (
    const t of [
      "attention",
      "embeddings",
      "encoders",
      "epochs",
      "failures",
      "metrics",
      "predictions",
      "runs",
      "slides",
      "tiles",
    ]
  ) assert.ok(tables.includes(t), `missing table ${t}`);
  store.close();
});

Deno.test("a store written by one process is read back by another", async () => {
  const path = await tempDb();
  const writer = `
    import { openStore } from "${new URL("./store.ts", import.meta.url).href}";
    const store = await openStore(${JSON.stringify(path)});
    await store.slideTransaction("s1", async (tx) => {
      await tx.upsertSlide({ id: "s1", path: "/x/s1.tiff", label: 1, mpp: 0.5, status: "tiled" });
      await tx.replaceTiles("s1", [
        { tile: 0, x: 0, y: 0, size: 256, level: 0, tissue: 0.9, label: 1 },
        { tile: 1, x: 256, y: 0, size: 256, level: 0, tissue: 0.5 },
      ]);
      await tx.replaceEmbeddings("s1", "enc", [
        { tile: 0, features: new Float32Array([1, 2, 3]) },
        { tile: 1, features: new Float32Array([4, 5, 6]) },
      ]);
    });
    store.close();
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", writer],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));

  const store = await openStore(path, { readOnly: true });
  const slides = await store.query("SELECT id, label, mpp, status FROM slides");
  assert.deepEqual(slides, [{
    id: "s1",
    label: "1",
    mpp: 0.5,
    status: "tiled",
  }]);
  const tiles = await store.query(
    "SELECT tile, x, label FROM tiles ORDER BY tile",
  );
  assert.deepEqual(tiles, [{ tile: 0, x: 0, label: 1 }, {
    tile: 1,
    x: 256,
    label: null,
  }]);
  const emb = await store.query(
    "SELECT features FROM embeddings ORDER BY tile",
  );
  assert.deepEqual(emb.map((r) => r.features), [[1, 2, 3], [4, 5, 6]]);
  store.close();
});

Deno.test("a slide transaction that throws midway leaves no partial slide behind", async () => {
  const store = await Store.open(await tempDb());
  await assert.rejects(
    store.slideTransaction("s2", async (tx) => {
      await tx.upsertSlide({ id: "s2", path: "s2.tiff", status: "tiled" });
      await tx.replaceTiles("s2", [
        { tile: 0, x: 0, y: 0, size: 256, level: 0 },
      ]);
      throw new Error("decoder crashed");
    }),
    /Slide "s2": decoder crashed/,
  );
  assert.deepEqual(await store.query("SELECT * FROM slides"), []);
  assert.deepEqual(await store.query("SELECT * FROM tiles"), []);
  // The store is still usable afterwards.
  await store.slideTransaction(
    "s3",
    (tx) => tx.upsertSlide({ id: "s3", path: "s3.tiff" }),
  );
  assert.equal(
    (await store.query("SELECT count(*) AS n FROM slides"))[0]?.n,
    1,
  );
  store.close();
});

Deno.test("concurrent transactions do not interleave", async () => {
  const store = await Store.open(":memory:");
  const ids = ["a", "b", "c", "d"];
  const results = await Promise.allSettled(
    ids.map((id, i) =>
      store.slideTransaction(id, async (tx) => {
        await tx.upsertSlide({ id, path: `${id}.tiff` });
        await new Promise((r) => setTimeout(r, 5));
        await tx.replaceTiles(id, [{ tile: 0, x: i, y: 0, size: 1, level: 0 }]);
        if (id === "c") throw new Error("boom");
      })
    ),
  );
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
  const slides = (await store.query("SELECT id FROM slides ORDER BY id")).map((
    r,
  ) => r.id);
  assert.deepEqual(slides, ["a", "b", "d"]);
  store.close();
});

Deno.test("a failure is recorded with its stage and message", async () => {
  const store = await Store.open(":memory:");
  await store.recordFailure("tile", "bad", new Error("not a TIFF"));
  const rows = await store.query("SELECT stage, slide, error FROM failures");
  assert.deepEqual(rows, [{
    stage: "tile",
    slide: "bad",
    error: "not a TIFF",
  }]);
  store.close();
});

Deno.test("deleteRunHistory() drops later epochs and every metrics row of the run, and nothing of other runs", async () => {
  const store = await Store.open(":memory:");
  for (const run of ["a", "b"]) {
    for (const epoch of [0, 1, 2]) {
      await store.exec(
        "INSERT INTO epochs (run, epoch) VALUES (?, ?)",
        [run, epoch],
      );
      await store.exec(
        "INSERT INTO predictions VALUES (?, ?, 's', 'val', [0.5, 0.5]::FLOAT[], 1)",
        [run, epoch],
      );
    }
    await store.exec(
      "INSERT INTO metrics VALUES (?, 1, 'test', 'auc', 0.9, NULL, NULL), (?, NULL, 'all', 'js_last_half', 0.01, NULL, NULL)",
      [run, run],
    );
  }
  await store.transaction((tx) => tx.deleteRunHistory("a", 0));
  const count = async (table: string, run: string) =>
    Number(
      (await store.query(
        `SELECT count(*) AS n FROM ${table} WHERE run = ?`,
        [run],
      ))[0]!.n,
    );
  assert.deepEqual(
    [
      await count("epochs", "a"),
      await count("predictions", "a"),
      await count("metrics", "a"),
    ],
    [1, 1, 0],
  );
  assert.deepEqual(
    [
      await count("epochs", "b"),
      await count("predictions", "b"),
      await count("metrics", "b"),
    ],
    [3, 3, 2],
  );
  // Nothing after the last epoch: the run's evaluation still holds.
  await store.transaction((tx) => tx.deleteRunHistory("b", 2));
  assert.equal(await count("metrics", "b"), 2);
  store.close();
});

Deno.test("a read-only open of an empty file explains what is wrong", async () => {
  const path = await tempDb();
  (await Store.open(path)).close();
  const store = await Store.open(path, { readOnly: true });
  assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
  store.close();
  await assert.rejects(
    Store.open(`${path}.missing/x.duckdb`),
    /Cannot open run store/,
  );
});

Deno.test("a store at schema version 1 is migrated forward on open, its rows kept", async () => {
  const path = await tempDb();
  // A real version-1 store: its migration only, plus rows in every table
  // the later migrations rebuild.
  const instance = await DuckDBInstance.create(path);
  const old = await instance.connect();
  await old.run(MIGRATIONS[0]!.sql);
  await old.run(`
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    INSERT INTO meta VALUES ('schema_version', '1');
    INSERT INTO failures (stage, slide, error) VALUES ('tile', 's1', 'x');
    INSERT INTO tiles VALUES ('s1', 0, 0, 0, 256, 0, 0.9, 1),
      ('s1', 1, 256, 0, 256, 0, 0.8, NULL);
    INSERT INTO embeddings VALUES ('s1', 0, 'enc', [0.5, -1.25]),
      ('s1', 1, 'enc', [2.0, 3.5]);
    INSERT INTO attention VALUES
      ('r', 0, 's1', 'val', [0.25, 0.75], [[0.5, 0.5], [0.0, 1.0]]),
      ('r', 1, 's1', 'val', [0.4, 0.6], NULL);
    INSERT INTO predictions VALUES ('r', 0, 's1', 'val', [0.1, 0.9], 1);`);
  old.closeSync();
  instance.closeSync();
  await assert.rejects(
    Store.open(path, { readOnly: true }),
    /schema version 1, expected .*open it once for writing/,
  );
  const store = await Store.open(path);
  assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
  assert.deepEqual(await store.query("SELECT count(*) AS n FROM encoders"), [
    { n: 0 },
  ]);
  assert.deepEqual(await store.query("SELECT slide FROM failures"), [
    { slide: "s1" },
  ]);
  assert.deepEqual(
    await store.query("SELECT tile, x, label FROM tiles ORDER BY tile"),
    [{ tile: 0, x: 0, label: 1 }, { tile: 1, x: 256, label: null }],
  );
  assert.deepEqual(
    await store.query("SELECT features FROM embeddings ORDER BY tile"),
    [{ features: [0.5, -1.25] }, { features: [2, 3.5] }],
  );
  const attention = await store.query(
    "SELECT epoch, scores, heads FROM attention ORDER BY epoch",
  );
  assert.equal(attention.length, 2);
  const close = (a: unknown, b: number[]) =>
    (a as number[]).every((x, i) => Math.abs(x - b[i]!) < 1e-4);
  assert.ok(close(attention[0]!.scores, [0.25, 0.75]));
  assert.ok(close((attention[0]!.heads as number[][])[1], [0, 1]));
  assert.ok(close(attention[1]!.scores, [0.4, 0.6]));
  assert.equal(attention[1]!.heads, null);
  assert.deepEqual(
    await store.query("SELECT probabilities, label FROM predictions"),
    [{ probabilities: [0.10000000149011612, 0.8999999761581421], label: 1 }],
  );
  store.close();
});
