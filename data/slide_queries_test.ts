import assert from "node:assert/strict";
import type { SlideRecord } from "./records.ts";
import { storeWith } from "../testing/store_with.ts";

const B_DETAILS = {
  width: 512,
  height: 256,
  status: "tiled",
  tileParams: "{}",
};
const SLIDES: SlideRecord[] = [
  { id: "b", path: "/s/b.tiff", label: 1, split: "val", ...B_DETAILS },
  { id: "a", path: "/s/a.tiff", status: "tiled" },
  { id: "c", path: "/s/c.tiff", status: "failed", error: "unreadable" },
];

function storeWithSlides() {
  return storeWith(async (tx) => {
    for (const slide of SLIDES) await tx.upsertSlide(slide);
    await tx.replaceTiles("b", [
      { tile: 1, x: 256, y: 0, size: 256, level: 0, tissue: 0.5, label: 1 },
      { tile: 0, x: 0, y: 0, size: 256, level: 0 },
    ]);
    await tx.replaceEmbeddings("a", "uni", [{ tile: 0, features: [1] }]);
  });
}

Deno.test("slideRow() reads a slide's row back and undefined for an unknown id", async () => {
  const store = await storeWithSlides();
  assert.deepEqual(await store.slideRow("b"), {
    id: "b",
    path: "/s/b.tiff",
    label: "1",
    split: "val",
    width: 512,
    height: 256,
    status: "tiled",
    tileParams: "{}",
    error: null,
  });
  assert.equal((await store.slideRow("c"))?.error, "unreadable");
  assert.equal(await store.slideRow("zz"), undefined);
  store.close();
});

Deno.test("tiles() gives a slide's tiles in index order with tissue and label", async () => {
  const store = await storeWithSlides();
  assert.deepEqual(await store.tiles("b"), [
    { tile: 0, x: 0, y: 0, size: 256, level: 0, tissue: null, label: null },
    { tile: 1, x: 256, y: 0, size: 256, level: 0, tissue: 0.5, label: 1 },
  ]);
  assert.deepEqual(await store.tiles("a"), []);
  store.close();
});

Deno.test("slideLabels() lists every slide's label and split by id", async () => {
  const store = await storeWithSlides();
  assert.deepEqual(await store.slideLabels(), [
    { id: "a", label: null, split: null },
    { id: "b", label: "1", split: "val" },
    { id: "c", label: null, split: null },
  ]);
  store.close();
});

Deno.test("tiledSlides() lists the tiled slides and which ones an encoder embedded", async () => {
  const store = await storeWithSlides();
  assert.deepEqual(await store.tiledSlides("uni"), [
    { id: "a", path: "/s/a.tiff", embedded: true },
    { id: "b", path: "/s/b.tiff", embedded: false },
  ]);
  assert.deepEqual(
    (await store.tiledSlides("other")).map((s) => s.embedded),
    [false, false],
  );
  store.close();
});

Deno.test("slidesWithTiles() counts the slides with tiles whose id has a prefix", async () => {
  const store = await storeWithSlides();
  assert.equal(await store.slidesWithTiles("b"), 1);
  assert.equal(await store.slidesWithTiles("a"), 0);
  assert.equal(await store.slidesWithTiles(""), 1);
  store.close();
});
