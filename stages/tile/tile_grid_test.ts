import assert from "node:assert/strict";
import {
  coverage,
  integralImage,
  type SlideGeometry,
  tileGrid,
} from "./tile_grid.ts";
import type { TissueMask } from "./tissue_mask.ts";

const slide = (
  mpp: number | undefined,
  magnification?: number,
): SlideGeometry => ({
  id: "slide-7",
  mpp,
  magnification,
  levelDimensions: [{ width: 4096, height: 2048 }, {
    width: 2048,
    height: 1024,
  }, { width: 1024, height: 512 }],
  levelDownsamples: [1, 2, 4],
});

Deno.test("tileGrid() at 0.5 MPP on a 0.5 MPP slide reads level 0 with 256-pixel steps", () => {
  const g = tileGrid(slide(0.5), undefined, { tileSize: 256, mpp: 0.5 });
  assert.equal(g.level, 0);
  assert.equal(g.readSize, 256);
  assert.equal(g.extent, 256);
  assert.equal(g.columns, 16);
  assert.equal(g.rows, 8);
  assert.deepEqual(g.tiles.slice(0, 3).map((t) => [t.x, t.y]), [[0, 0], [
    256,
    0,
  ], [512, 0]]);
  assert.deepEqual([g.tiles[16]?.x, g.tiles[16]?.y], [0, 256]);
  assert.deepEqual(g.tiles.map((t) => t.index), g.tiles.map((_, i) => i));
});

Deno.test("tileGrid() at 1.0 MPP on a 0.5 MPP slide reads level 1 and covers 512 level-0 pixels per tile", () => {
  const g = tileGrid(slide(0.5), undefined, { tileSize: 256, mpp: 1.0 });
  assert.equal(g.level, 1);
  assert.equal(g.readSize, 256);
  assert.equal(g.extent, 512);
  assert.equal(g.stride, 512);
  assert.equal(g.tiles.length, 8 * 4);
  assert.deepEqual([g.tiles[1]?.x, g.tiles[8]?.y], [512, 512]);
  const lastTile = g.tiles.at(-1)!;
  assert.deepEqual([lastTile.x + g.extent, lastTile.y + g.extent], [
    4096,
    2048,
  ]);
});

Deno.test("tileGrid() at 1.0 MPP on a 0.25 MPP slide reads level 2; at 0.75 MPP it resizes from level 0", () => {
  const a = tileGrid(slide(0.25), undefined, { tileSize: 256, mpp: 1.0 });
  assert.deepEqual([a.level, a.readSize, a.extent], [2, 256, 1024]);
  const b = tileGrid(slide(0.5), undefined, { tileSize: 256, mpp: 0.75 });
  assert.deepEqual([b.level, b.readSize, b.extent], [0, 384, 384]);
});

Deno.test("tileGrid() takes a target magnification and an overlap", () => {
  const g = tileGrid(slide(0.25, 40), undefined, {
    tileSize: 256,
    magnification: 10,
    overlap: 64,
  });
  assert.deepEqual([g.level, g.readSize, g.extent, g.stride], [
    2,
    256,
    1024,
    768,
  ]);
  assert.deepEqual(g.tiles.slice(0, 2).map((t) => t.x), [0, 768]);
});

Deno.test("tileGrid() without an MPP throws naming the slide", () => {
  assert.throws(
    () => tileGrid(slide(undefined), undefined, { mpp: 0.5 }),
    /slide-7.*no MPP.*override/,
  );
  assert.throws(
    () => tileGrid(slide(undefined), undefined, { magnification: 20 }),
    /slide-7/,
  );
  assert.throws(
    () => tileGrid(slide(0.5), undefined, { overlap: 256 }),
    /overlap must be/,
  );
});

Deno.test("tileGrid() keeps tiles by tissue fraction under the mask", () => {
  // Mask at 64× over the 4096×2048 slide: 64×32, tissue in the left quarter.
  const width = 64, height = 32, mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < 16; x++) mask[y * width + x] = 1;
  }
  // Mask column 16 covers level-0 x 1024–1088: a quarter of the tiles at x = 1024.
  for (let y = 0; y < height; y++) mask[y * width + 16] = 1;
  const m: TissueMask = {
    mask,
    width,
    height,
    downsampleX: 64,
    downsampleY: 64,
    threshold: 0,
    tissueFraction: 0,
    regions: 1,
    penPixels: 0,
  };
  const g = tileGrid(slide(0.5), m, {
    tileSize: 256,
    mpp: 0.5,
    minTissue: 0.5,
  });
  assert.equal(g.tiles.length, 4 * 8);
  assert.ok(g.tiles.every((t) => t.x < 1024 && t.tissueFraction === 1));
  const loose = tileGrid(slide(0.5), m, {
    tileSize: 256,
    mpp: 0.5,
    minTissue: 0.2,
  });
  assert.equal(loose.tiles.length, 5 * 8);
  assert.equal(loose.tiles.find((t) => t.x === 1024)?.tissueFraction, 0.25);
  const none = tileGrid(slide(0.5), m, {
    tileSize: 256,
    mpp: 0.5,
    minTissue: 0,
  });
  assert.equal(
    none.tiles.length,
    5 * 8,
    "tiles without any tissue are never kept",
  );
});

Deno.test("coverage() is exact for squares that cut mask pixels", () => {
  const m = {
    mask: new Uint8Array([1, 0, 0, 1]),
    width: 2,
    height: 2,
    downsampleX: 10,
    downsampleY: 10,
  };
  const sat = integralImage(m);
  assert.equal(coverage(m, sat, 0, 0, 20), 0.5);
  assert.equal(coverage(m, sat, 5, 5, 10), 0.5);
  assert.equal(coverage(m, sat, 0, 0, 5), 1);
});
