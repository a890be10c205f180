import assert from "node:assert/strict";
import { parseLabelRows, parseLabelsCsv, parseSplitJson } from "./labels.ts";
import { stratifiedKFold } from "../../core/kfold.ts";
import { BagStream, type BagStreamOptions } from "./bag_stream.ts";
import { bagsFromStore } from "./bags_from_store.ts";
import { Store } from "../../data/store.ts";
import type { Bag, TileEmbedding } from "../../core/types.ts";

Deno.test("parseLabelsCsv() indexes class names in sorted order and reads splits", () => {
  const t = parseLabelsCsv(
    'slide_id,label,split\ns1,tumor,train\ns2,normal,val\n"s,3",tumor,test\n',
    "l.csv",
  );
  assert.deepEqual(t.classes, ["normal", "tumor"]);
  assert.deepEqual([...t.labels], [["s1", 1], ["s2", 0], ["s,3", 1]]);
  assert.equal(t.splits.get("s,3"), "test");
});

Deno.test("parseLabelsCsv() takes integer labels as class indices", () => {
  const t = parseLabelsCsv("slide,label\na,0\nb,2\nc,1\n", "l.csv");
  assert.deepEqual(t.classes, ["0", "1", "2"]);
  assert.equal(t.labels.get("b"), 2);
});

Deno.test("parseLabelsCsv() names the slide with a missing, unknown or duplicate label", () => {
  assert.throws(
    () => parseLabelsCsv("slide_id,label\na,x\nb,\n", "l.csv"),
    /l\.csv line 3: slide "b" has no label/,
  );
  assert.throws(
    () => parseLabelsCsv("slide_id,label\na,x\na,y\n", "l.csv"),
    /line 3: duplicate slide id "a"/,
  );
  assert.throws(
    () => parseLabelsCsv("slide_id,label\na,x\nb,z\n", "l.csv", ["x", "y"]),
    /slide "b" has unknown label "z", expected one of x, y/,
  );
  assert.throws(
    () => parseLabelsCsv("name,class\na,x\n", "l.csv"),
    /needs a header with "slide_id" and "label"/,
  );
  assert.throws(
    () => parseLabelsCsv("slide_id,label\na,x\nb,x\n", "l.csv"),
    /at least 2 classes/,
  );
});

Deno.test("parseSplitJson() reads the reference format and rejects overlaps", () => {
  const s = parseSplitJson(
    JSON.stringify({
      train_names: ["a", "b"],
      val_names: ["c"],
      test_names: ["d"],
    }),
    "split.json",
  );
  assert.deepEqual([...s], [["a", "train"], ["b", "train"], ["c", "val"], [
    "d",
    "test",
  ]]);
  assert.throws(
    () =>
      parseSplitJson(
        JSON.stringify({
          train_names: ["a"],
          val_names: ["a"],
          test_names: [],
        }),
        "split.json",
      ),
    /slide "a" is in both train_names and val_names/,
  );
  assert.throws(
    () => parseSplitJson(JSON.stringify({ train_names: [] }), "split.json"),
    /needs an array "val_names"/,
  );
});

Deno.test("stratifiedKFold() is seeded, stratified and rotates the test fold", () => {
  const labels = new Map<string, number>(
    Array.from({ length: 30 }, (_, i) => [`s${i}`, i < 20 ? 0 : 1] as const),
  );
  const a = stratifiedKFold(labels, 5, 0, 7);
  assert.deepEqual(a, stratifiedKFold(labels, 5, 0, 7));
  assert.notDeepEqual(a, stratifiedKFold(labels, 5, 0, 8));
  const count = (m: Map<string, string>, split: string, cls: number) =>
    [...m].filter(([id, s]) => s === split && labels.get(id) === cls).length;
  assert.equal(count(a, "test", 0), 4);
  assert.equal(count(a, "test", 1), 2);
  assert.equal(count(a, "val", 0) + count(a, "val", 1), 6);
  // Across folds every slide is tested exactly once.
  const tested = new Map<string, number>();
  for (let f = 0; f < 5; f++) {
    for (const [id, s] of stratifiedKFold(labels, 5, f, 7)) {
      if (s === "test") tested.set(id, (tested.get(id) ?? 0) + 1);
    }
  }
  assert.equal(tested.size, 30);
  assert.ok([...tested.values()].every((n) => n === 1));
  assert.throws(() => stratifiedKFold(labels, 2, 0, 0), /k ≥ 3/);
});

const emb = (
  slideId: string,
  index: number,
  features = [index, 1],
  label?: number,
): TileEmbedding => {
  const e: TileEmbedding = {
    slideId,
    index,
    x: index * 256,
    y: 0,
    encoder: "enc",
    features: new Float32Array(features),
  };
  if (label !== undefined) e.label = label;
  return e;
};
const opts = {
  labels: new Map([["a", 1], ["b", 0]]),
  splits: new Map([["a", "train" as const], ["b", "val" as const]]),
};

/** Every bag of the one source a bag stage emits. */
async function streamedBags(
  tiles: TileEmbedding[],
  options: BagStreamOptions = opts,
): Promise<Bag[]> {
  const sources = await Array.fromAsync(
    ReadableStream.from(tiles).pipeThrough(new BagStream(options)),
  );
  assert.equal(sources.length, 1, "one bag source");
  const source = sources[0]!;
  return await Promise.all(source.infos.map((i) => source.read(i.slideId)));
}

Deno.test("BagStream() groups embeddings per slide with label, split and coordinates", async () => {
  const bags = await streamedBags([
    emb("a", 0, [1, 2], 1),
    emb("a", 1, [3, 4], 0),
    emb("b", 0),
  ]);
  assert.equal(bags.length, 2);
  const a = bags[0]!;
  assert.deepEqual([a.slideId, a.n, a.dim, a.label, a.split], [
    "a",
    2,
    2,
    1,
    "train",
  ]);
  assert.deepEqual(Array.from(a.features), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(a.coords!), [0, 0, 256, 0]);
  assert.deepEqual(Array.from(a.tileLabels!), [1, 0]);
  assert.equal(bags[1]!.tileLabels, undefined);
});

Deno.test("BagStream() names the slide with a bad bag", async () => {
  const run = (tiles: TileEmbedding[]) => streamedBags(tiles);
  await assert.rejects(run([emb("c", 0)]), /Slide "c" has no label/);
  await assert.rejects(
    run([emb("a", 0, [1, NaN])]),
    /Slide "a": tile 0 has a non-finite feature \(NaN\) at dimension 1/,
  );
  await assert.rejects(
    run([emb("a", 0, [1, 2]), emb("a", 1, [1, 2, 3])]),
    /Slide "a": tile 1 has 3 features, expected 2/,
  );
  await assert.rejects(
    run([emb("a", 0), emb("b", 0), emb("a", 1)]),
    /Slide "a" appears twice/,
  );
  await assert.rejects(
    streamedBags([emb("a", 0)], { labels: opts.labels, splits: new Map() }),
    /Slide "a" is in no split/,
  );
  assert.throws(() => new BagStream(), /needs labels and splits/);
});

Deno.test("bagsFromStore() reads embeddings, coordinates and tile labels back", async () => {
  const store = await Store.open(":memory:");
  await store.slideTransaction("s1", async (tx) => {
    await tx.upsertSlide({
      id: "s1",
      path: "s1.tiff",
      label: 1,
      split: "train",
    });
    await tx.replaceTiles("s1", [
      { tile: 0, x: 0, y: 0, size: 256, level: 0, label: 1 },
      { tile: 1, x: 256, y: 512, size: 256, level: 0, label: 0 },
    ]);
    await tx.replaceEmbeddings("s1", "enc", [
      { tile: 1, features: [3, 4] },
      { tile: 0, features: [1, 2] },
    ]);
  });
  await store.slideTransaction("s2", async (tx) => {
    await tx.upsertSlide({
      id: "s2",
      path: "s2.tiff",
      label: 0,
      split: "test",
    });
    await tx.replaceEmbeddings("s2", "enc", [{ tile: 0, features: [5, 6] }]);
  });
  const bags = await bagsFromStore(store);
  assert.deepEqual(bags.map((b) => [b.slideId, b.label, b.split, b.n]), [
    ["s1", 1, "train", 2],
    ["s2", 0, "test", 1],
  ]);
  assert.deepEqual(Array.from(bags[0]!.features), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(bags[0]!.coords!), [0, 0, 256, 512]);
  assert.deepEqual(Array.from(bags[0]!.tileLabels!), [1, 0]);
  await assert.rejects(
    bagsFromStore(store, { encoder: "other" }),
    /no embeddings from encoder "other": it has enc/,
  );
  await assert.rejects(
    bagsFromStore(store, { labels: new Map([["s1", 1]]) }),
    /Slide "s2" has no label/,
  );
  // The bag stage on a store: the embeddings only pace it; its source
  // reads every embedded slide from the store, those of earlier runs too.
  const [streamed] = await Array.fromAsync(
    ReadableStream.from([emb("s2", 0, [5, 6])]).pipeThrough(
      new BagStream({ store }),
    ),
  );
  assert.deepEqual(streamed!.infos.map((i) => i.slideId), ["s1", "s2"]);
  assert.deepEqual(await streamed!.read("s1"), bags[0]);
  store.close();
});

Deno.test("parseLabelRows() keeps labels as written, with quoted cells and extra columns", () => {
  const rows = parseLabelRows(
    'case_id,slide_id,label,split\r\nc1,"a,1",tumor,train\nc2,b,"say ""hi""",\n',
    "l.csv",
  );
  assert.deepEqual([...rows], [
    ["a,1", { label: "tumor", split: "train" }],
    ["b", { label: 'say "hi"' }],
  ]);
});
