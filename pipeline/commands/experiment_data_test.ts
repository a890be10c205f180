import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { commandContext } from "../cli_context.ts";
import { experimentData } from "./experiment_data.ts";
import type { BagSource } from "../../stages/bag/bag_source.ts";

const allBags = (source: BagSource) =>
  Promise.all(source.infos.map((i) => source.read(i.slideId)));

Deno.test("experimentData() writes MNIST bags once as pseudo-slides whose tiles carry the instance labels", async () => {
  const ctx = await commandContext({ db: ":memory:", quiet: true, seed: 4 });
  const store = await Store.open(":memory:");
  const data = await experimentData(ctx, store, "mnist-bags", { bags: 12 });
  assert.match(data.id, /^mnist-bags-[0-9a-f]{6}$/);
  const bags = await allBags(data.source);
  assert.equal(bags.length, 12);
  assert.ok(bags.every((b) => b.split === "train" && b.dim === 784));
  const tiles = await store.query(
    `SELECT slide, count(*) AS n, sum(label) AS nines FROM tiles
     GROUP BY slide ORDER BY slide`,
  );
  assert.deepEqual(
    tiles.map((t) => [t.slide, Number(t.n), Number(t.nines)]),
    bags.map((b) => [
      b.slideId,
      b.n,
      b.tileLabels!.reduce((s, x) => s + x, 0),
    ]),
  );
  const again = await experimentData(ctx, store, "mnist-bags", { bags: 12 });
  assert.equal(again.id, data.id);
  assert.deepEqual(
    (await allBags(again.source))[3]!.features,
    bags[3]!.features,
  );
  const [slides] = await store.query("SELECT count(*) AS n FROM slides");
  assert.equal(Number(slides!.n), 12);
  store.close();
});

Deno.test("experimentData() reads the store's own embedded slides, and says when there are too few", async () => {
  const ctx = await commandContext({ db: ":memory:", quiet: true });
  const store = await Store.open(":memory:");
  await assert.rejects(
    () => experimentData(ctx, store, "store"),
    /has no embeddings yet/,
  );
  for (let s = 0; s < 4; s++) {
    await store.transaction(async (tx) => {
      await tx.upsertSlide({ id: `s${s}`, path: `s${s}.tiff`, label: s % 2 });
      await tx.replaceEmbeddings(`s${s}`, "enc", [
        { tile: 0, features: [s, 1, 2] },
        { tile: 1, features: [0, s, 1] },
      ]);
    });
  }
  const data = await experimentData(ctx, store, "store");
  const bags = await allBags(data.source);
  assert.equal(bags.length, 4);
  assert.deepEqual(bags.map((b) => b.label), [0, 1, 0, 1]);
  assert.deepEqual(Array.from(bags[2]!.features), [2, 1, 2, 0, 2, 1]);
  assert.match(
    data.description,
    /^store: 4 slides .*2 positive.*3-dimensional/,
  );
  store.close();
});

Deno.test("experimentData() writes the WSI-like feature cohort once and reads it slide by slide, leaving splits to each seed", async () => {
  const ctx = await commandContext({ db: ":memory:", quiet: true, seed: 2 });
  const store = await Store.open(":memory:");
  const data = await experimentData(ctx, store, "cohort", { bags: 10, dim: 8 });
  assert.match(data.id, /^cohort-[0-9a-f]{6}$/);
  assert.equal(data.source.infos.length, 10);
  assert.ok(data.source.infos.every((i) => i.split === "train" && i.dim === 8));
  const bag = await data.source.read(data.source.infos[3]!.slideId);
  assert.equal(bag.features.length, bag.n * 8);
  assert.ok(bag.tileLabels, "tumour labels kept for localisation");
  const again = await experimentData(ctx, store, "cohort", {
    bags: 10,
    dim: 8,
  });
  assert.equal(again.id, data.id);
  const [row] = await store.query(
    "SELECT count(DISTINCT slide) AS n FROM embeddings WHERE encoder = ?",
    [data.id],
  );
  assert.equal(Number(row!.n), 10, "written once");
  store.close();
});
