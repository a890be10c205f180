import assert from "node:assert/strict";
import sharp from "sharp";
import { scaleColour } from "./attention_scale.ts";
import { renderValueHeatmap } from "./value_heatmap.ts";

const base = () => ({
  rgb: new Uint8Array(40 * 20 * 3).fill(200),
  width: 40,
  height: 20,
  downsampleX: 10,
  downsampleY: 10,
});
const tiles = [{ x: 0, y: 0, size: 200 }, { x: 200, y: 0, size: 200 }];
const scale = { kind: "log" as const, min: 0.01, max: 0.99, clipped: false };

async function pixel(png: Uint8Array, x: number, y: number) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({
    resolveWithObject: true,
  });
  const i = (y * info.width + x) * 3;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

Deno.test("renderValueHeatmap() colours each tile by its value on the given scale", async () => {
  const png = await renderValueHeatmap(base(), tiles, [0.99, 0.01], scale, {
    alpha: 1,
    paletteColours: 0,
  });
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.width, meta.height, meta.isPalette], [40, 20, false]);
  assert.deepEqual(await pixel(png, 10, 10), scaleColour(scale, 0.99));
  assert.deepEqual(await pixel(png, 30, 10), scaleColour(scale, 0.01));
  // The same values on the same scale give the same colours in another map.
  const other = await renderValueHeatmap(base(), tiles, [0.01, 0.99], scale, {
    alpha: 1,
    paletteColours: 0,
  });
  assert.deepEqual(await pixel(other, 30, 10), scaleColour(scale, 0.99));
});

Deno.test("renderValueHeatmap() blends over the thumbnail, outlines tumour and writes a palette PNG", async () => {
  const tumour = new Uint8Array(40 * 20);
  for (let y = 5; y < 15; y++) tumour.fill(1, y * 40 + 5, y * 40 + 15);
  const png = await renderValueHeatmap(base(), tiles, [0.5, 0.5], scale, {
    tumour,
  });
  assert.equal((await sharp(png).metadata()).isPalette, true);
  const c = scaleColour(scale, 0.5);
  const blended = c.map((v) => Math.round(200 * 0.3 + v * 0.7));
  const inside = await pixel(png, 10, 10);
  inside.forEach((v, i) =>
    assert.ok(Math.abs(v - blended[i]!) <= 3, `${inside} vs ${blended}`)
  );
  assert.deepEqual(await pixel(png, 5, 10), [20, 20, 20]);
  await assert.rejects(
    renderValueHeatmap(base(), tiles, [1], scale),
    /one score per tile: got 1 scores for 2 tiles/,
  );
});
