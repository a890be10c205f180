import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import { storeWith } from "../testing/store_with.ts";

function storeWithAttention(): Promise<Store> {
  return storeWith(async (tx) => {
    const tiles = (labels: (number | null)[]) =>
      labels.map((label, tile) => ({
        tile,
        x: tile,
        y: 0,
        size: 1,
        level: 0,
        label,
      }));
    await tx.replaceTiles("a", tiles([1, 0, null]));
    await tx.replaceTiles("b", tiles([0, 0]));
    await tx.replaceTiles("c", tiles([1, 0]));
    const snapshot = (
      epoch: number,
      slide: string,
      split: string,
      n: number,
    ) => ({
      run: "r1",
      epoch,
      slide,
      split,
      scores: Array.from({ length: n }, () => 1 / n),
    });
    await tx.appendAttention([
      snapshot(1, "b", "val", 2),
      snapshot(0, "b", "val", 2),
      snapshot(0, "a", "test", 3),
      snapshot(1, "a", "test", 2), // not as many entries as tiles
      { ...snapshot(0, "c", "val", 2), run: "r2" },
    ]);
  });
}

Deno.test("attentionSnapshots() reads a run's snapshots by slide and epoch, filtered", async () => {
  const store = await storeWithAttention();
  const key = (s: { slide: string; epoch: number; split: string | null }) =>
    `${s.slide} ${s.epoch} ${s.split}`;
  assert.deepEqual((await store.attentionSnapshots("r1")).map(key), [
    "a 0 test",
    "a 1 test",
    "b 0 val",
    "b 1 val",
  ]);
  assert.deepEqual(
    (await store.attentionSnapshots("r1", { split: "val" })).map(key),
    ["b 0 val", "b 1 val"],
  );
  const [one] = await store.attentionSnapshots("r1", { slide: "a", epoch: 0 });
  assert.equal(one?.scores.length, 3);
  assert.ok(Math.abs(one!.scores[0]! - 1 / 3) < 1e-4);
  assert.deepEqual(await store.attentionSnapshots("r1", { epoch: 5 }), []);
  store.close();
});

Deno.test("slidesMatchingAttention() keeps the slides with as many tiles as attention entries", async () => {
  const store = await storeWithAttention();
  assert.deepEqual([...await store.slidesMatchingAttention("r1", 0)].sort(), [
    "a",
    "b",
  ]);
  assert.deepEqual([...await store.slidesMatchingAttention("r1", 1)], ["b"]);
  store.close();
});

Deno.test("tumourLabels() gives the tile labels of attended slides labelled both ways", async () => {
  const store = await storeWithAttention();
  assert.deepEqual([...await store.tumourLabels("r1")], [["a", [1, 0, null]]]);
  assert.deepEqual([...await store.tumourLabels("r2")], [["c", [1, 0]]]);
  store.close();
});
