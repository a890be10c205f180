import assert from "node:assert/strict";
import sharp from "sharp";
import { attentionColour } from "./colour_map.ts";
import {
  maskBoundary,
  percentileNormalise,
  renderHeatmap,
  tileMask,
} from "./heatmap.ts";

const GREY = 200;
// A 4×2 grid of 64-pixel tiles on a 256×128 level-0 slide, thumbnail 128×64.
const base = {
  rgb: new Uint8Array(128 * 64 * 3).fill(GREY),
  width: 128,
  height: 64,
  downsampleX: 2,
  downsampleY: 2,
};
const tiles = Array.from(
  { length: 8 },
  (_, i) => ({ x: (i % 4) * 64, y: Math.floor(i / 4) * 64, size: 64 }),
);

async function decode(png: Uint8Array) {
  const { data, info } = await sharp(png).raw().toBuffer({
    resolveWithObject: true,
  });
  const at = (
    x: number,
    y: number,
  ) => [
    ...data.subarray(
      (y * info.width + x) * info.channels,
      (y * info.width + x) * info.channels + 3,
    ),
  ];
  return { info, at };
}

Deno.test("percentileNormalise() maps ranks to [0, 1] with ties sharing a value", () => {
  assert.deepEqual(percentileNormalise([0.1, 0.7, 0.1, 0.1]), [
    1 / 3,
    1,
    1 / 3,
    1 / 3,
  ]);
  assert.deepEqual(percentileNormalise([0.2, 0.5, 0.3]), [0, 1, 0.5]);
  assert.deepEqual(percentileNormalise([1]), [1]);
});

Deno.test("renderHeatmap() keeps the thumbnail's size and colours high-attention tiles red", async () => {
  // One tile holds nearly all attention; percentiles still order the rest.
  const scores = [0.93, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01].map((s, i) =>
    s + i * 1e-4
  );
  const png = await renderHeatmap(base, tiles, scores, { colourBar: false });
  const { info, at } = await decode(png);
  assert.deepEqual([info.width, info.height], [128, 64]);
  const blend = (t: number) =>
    attentionColour(t).map((c) => Math.round(GREY * 0.4 + c * 0.6));
  assert.deepEqual(at(10, 10), blend(1)); // tile 0, the top tile: dark red
  assert.ok(at(10, 10)[0]! > 150 && at(10, 10)[2]! < 120, `${at(10, 10)}`);
  assert.deepEqual(at(40, 10), blend(0)); // tile 1, the lowest: blue
  assert.deepEqual(at(100, 50), blend(6 / 7)); // tile 7, second highest
  // Pixels change with attention: not a flat image.
  assert.notDeepEqual(at(10, 10), at(40, 10));
});

Deno.test("renderHeatmap() outlines the tumour mask and draws a colour bar that fits", async () => {
  const tumour = tileMask([tiles[5]!], base); // thumbnail x 32..63, y 32..63
  assert.equal(tumour.reduce((s, v) => s + v, 0), 32 * 32);
  const edge = maskBoundary(tumour, base.width, base.height);
  assert.equal(edge.reduce((s, v) => s + v, 0), 4 * 32 - 4); // the square's ring
  const scores = new Array(8).fill(1 / 8);
  const png = await renderHeatmap(base, tiles, scores, { tumour });
  const { at } = await decode(png);
  assert.deepEqual(at(32, 40), [20, 20, 20]); // on the boundary
  assert.deepEqual(at(31, 40), [250, 250, 250]); // halo outside
  assert.notDeepEqual(at(40, 40), [20, 20, 20]); // inside untouched
  // The colour bar sits in the lower right corner: its top end is dark red.
  const plain = await decode(
    await renderHeatmap(base, tiles, scores, { tumour, colourBar: false }),
  );
  let changed = 0;
  for (let y = 30; y < 64; y++) {
    for (
      let x = 80;
      x < 128;
      x++
    ) if (at(x, y).join() !== plain.at(x, y).join()) changed++;
  }
  assert.ok(changed > 200, `colour bar changed ${changed} pixels`);
});

Deno.test("renderHeatmap() rejects scores that do not match the tiles", async () => {
  await assert.rejects(
    renderHeatmap(base, tiles, [0.5, 0.5]),
    /got 2 scores for 8 tiles/,
  );
  await assert.rejects(
    renderHeatmap(base, tiles, new Array(8).fill(0.125), {
      tumour: new Uint8Array(3),
    }),
    /128×64: got 3 pixels/,
  );
});
