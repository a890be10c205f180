import assert from "node:assert/strict";
import sharp from "sharp";
import { PLAN_SCALE, planSlide } from "../../data/synthetic/slide_plan.ts";
import { paintSlide } from "../../data/synthetic/slide_painter.ts";
import { otsuThreshold, tissueMask } from "./tissue_mask.ts";
import {
  close,
  dilate,
  erode,
  filterRegions,
  medianFilter,
} from "./_morphology.ts";
import type { SlideThumbnail } from "./slide_reader.ts";

async function paintedThumbnail(seed: number, islands: number, pen: boolean) {
  const plan = planSlide({
    width: 2048,
    height: 2048,
    positive: true,
    islands,
    pen,
    blur: false,
  }, seed);
  const image = await paintSlide(plan, seed);
  const size = 2048 / PLAN_SCALE;
  const buf = await sharp(image.rgb, {
    raw: { width: 2048, height: 2048, channels: 3 },
  })
    .resize(size, size, { kernel: "linear" }).raw().toBuffer();
  const thumb: SlideThumbnail = {
    rgb: new Uint8Array(buf),
    width: size,
    height: size,
    downsampleX: PLAN_SCALE,
    downsampleY: PLAN_SCALE,
  };
  return { plan, thumb };
}

Deno.test("tissueMask() finds the painted islands and leaves glass and the pen mark out", async () => {
  for (const seed of [3, 8]) {
    const { plan, thumb } = await paintedThumbnail(seed, 2, true);
    const m = tissueMask(thumb);
    let both = 0, either = 0;
    for (let i = 0; i < m.mask.length; i++) {
      const truth = plan.tissue[i] ? 1 : 0;
      if (truth && m.mask[i]) both++;
      if (truth || m.mask[i]) either++;
    }
    assert.ok(
      both / either > 0.85,
      `seed ${seed}: IoU with the planned tissue is ${
        (both / either).toFixed(3)
      }`,
    );
    assert.ok(m.penPixels > 0, "the pen mark is seen as ink");
    const pen = plan.pen!;
    let onPen = 0, penSamples = 0;
    for (let s = 0; s + 1 < pen.points.length; s++) {
      const [ax, ay] = pen.points[s]!, [bx, by] = pen.points[s + 1]!;
      for (let t = 0; t <= 1; t += 0.05) {
        const x = Math.floor((ax + t * (bx - ax)) / PLAN_SCALE),
          y = Math.floor((ay + t * (by - ay)) / PLAN_SCALE);
        if (x < 0 || y < 0 || x >= m.width || y >= m.height) continue;
        penSamples++;
        onPen += m.mask[y * m.width + x] as number;
      }
    }
    assert.ok(penSamples > 50);
    assert.equal(
      onPen,
      0,
      `seed ${seed}: ${onPen} of ${penSamples} pen samples marked as tissue`,
    );
    assert.equal(m.mask[0], 0);
    assert.equal(m.mask[m.mask.length - 1], 0);
  }
});

Deno.test("tissueMask() finds no tissue on glass with dust", async () => {
  const { thumb } = await paintedThumbnail(5, 0, false);
  const m = tissueMask(thumb);
  assert.equal(m.tissueFraction, 0);
  assert.equal(m.regions, 0);
  assert.ok(m.threshold >= 20, "Otsu is floored so noise is not tissue");
});

Deno.test("tissueMask() honours a fixed threshold and drops regions below the area limit", () => {
  const width = 64,
    height = 64,
    rgb = new Uint8Array(width * height * 3).fill(240);
  const square = (x0: number, y0: number, side: number) => {
    for (let y = y0; y < y0 + side; y++) {
      for (let x = x0; x < x0 + side; x++) {
        rgb.set([220, 140, 190], (y * width + x) * 3);
      }
    }
  };
  square(5, 5, 30);
  square(50, 50, 4);
  const thumb = { rgb, width, height, downsampleX: 32, downsampleY: 32 };
  const m = tissueMask(thumb, { threshold: 30, minRegionArea: 100 * 32 * 32 });
  assert.equal(m.threshold, 30);
  assert.equal(m.regions, 1);
  assert.equal(m.mask[20 * width + 20], 1);
  assert.equal(m.mask[52 * width + 52], 0);
  assert.throws(
    () => tissueMask(thumb, { threshold: 300 }),
    /threshold must be/,
  );
});

Deno.test("otsuThreshold() splits a two-peaked histogram between the peaks", () => {
  const hist = new Array(256).fill(0);
  hist[10] = 500;
  hist[12] = 300;
  hist[90] = 200;
  hist[95] = 100;
  const t = otsuThreshold(hist);
  assert.ok(t >= 12 && t < 90, `threshold ${t}`);
});

Deno.test("medianFilter() removes salt noise; close() bridges a one-pixel gap; filterRegions() drops small ones", () => {
  const data = new Uint8Array(25).fill(10);
  data[12] = 250;
  assert.equal(medianFilter({ data, width: 5, height: 5 }, 1).data[12], 10);
  const mask = new Uint8Array([1, 1, 0, 1, 1]);
  assert.deepEqual([...close(mask, 5, 1, 1)], [1, 1, 1, 1, 1]);
  const blobs = new Uint8Array([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1]);
  const kept = filterRegions(blobs, 4, 3, 1, (area) => area >= 3);
  assert.equal(kept, 1);
  assert.deepEqual([...blobs], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
});

Deno.test("medianFilter() equals the sorted-window median on random images", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (const [w, h, r] of [[37, 23, 2], [5, 5, 3], [40, 31, 1]] as const) {
    const data = new Uint8Array(w * h).map(() => next());
    const fast = medianFilter({ data, width: w, height: h }, r).data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const window: number[] = [];
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
          for (
            let xx = Math.max(0, x - r);
            xx <= Math.min(w - 1, x + r);
            xx++
          ) window.push(data[yy * w + xx]!);
        }
        window.sort((a, b) => a - b);
        assert.equal(
          fast[y * w + x],
          window[((window.length + 1) >> 1) - 1],
          `${w}×${h} r${r} at ${x},${y}`,
        );
      }
    }
  }
});

Deno.test("dilate() and erode() use a square window, with outside pixels counting as set for erosion", () => {
  assert.deepEqual([...dilate(new Uint8Array([0, 0, 1, 0, 0, 0]), 6, 1, 1)], [
    0,
    1,
    1,
    1,
    0,
    0,
  ]);
  assert.deepEqual([...erode(new Uint8Array([1, 1, 1, 0, 1, 1]), 6, 1, 1)], [
    1,
    1,
    0,
    0,
    0,
    1,
  ]);
  const square = new Uint8Array(25);
  square[12] = 1;
  assert.deepEqual([...dilate(square, 5, 5, 1)], [
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    0,
    0,
    1,
    1,
    1,
    0,
    0,
    1,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.deepEqual([...erode(dilate(square, 5, 5, 1), 5, 5, 1)], [...square]);
});
