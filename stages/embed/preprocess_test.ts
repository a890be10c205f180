import assert from "node:assert/strict";
import { toNchw } from "./preprocess.ts";

const image = (
  width: number,
  height: number,
  f: (x: number, y: number, c: number) => number,
) => {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = f(x, y, c);
    }
  }
  return { rgb, width, height };
};

Deno.test("toNchw() splits channels into planes and normalises with mean and std", () => {
  const img = image(2, 2, (x, y, c) => [0, 51, 255][c]! + 0 * (x + y));
  const t = toNchw([img], 2, [0, 0.2, 0.5], [1, 1, 0.5]);
  assert.deepEqual(Array.from(t.subarray(0, 4)), [0, 0, 0, 0]);
  assert.ok(Array.from(t.subarray(4, 8)).every((v) => Math.abs(v) < 1e-6));
  assert.ok(Array.from(t.subarray(8, 12)).every((v) => Math.abs(v - 1) < 1e-6));
});

Deno.test("toNchw() keeps a constant image constant when resizing", () => {
  const t = toNchw([image(37, 19, (_x, _y, c) => 10 * (c + 1))], 8, [0, 0, 0], [
    1,
    1,
    1,
  ]);
  for (let c = 0; c < 3; c++) {
    for (const v of t.subarray(c * 64, (c + 1) * 64)) {
      assert.ok(Math.abs(v - (10 * (c + 1)) / 255) < 1e-6);
    }
  }
});

Deno.test("toNchw() halves a horizontal ramp by averaging neighbour pairs", () => {
  const t = toNchw([image(4, 1, (x) => 40 * x)], 2, [0, 0, 0], [1 / 255, 1, 1]);
  // 4 → 2 with half-pixel centres samples x = 0.5 and 2.5: (0+40)/2, (80+120)/2.
  assert.ok(
    Math.abs(t[0]! - 20) < 1e-4 && Math.abs(t[1]! - 100) < 1e-4,
    `${t.subarray(0, 2)}`,
  );
});

Deno.test("toNchw() names the tile when its pixel buffer is the wrong length", () => {
  const tile = {
    rgb: new Uint8Array(5),
    width: 2,
    height: 2,
    slideId: "s1",
    index: 4,
  };
  assert.throws(
    () => toNchw([tile], 2, [0, 0, 0], [1, 1, 1]),
    /tile 4 of slide s1: current length is 5/,
  );
});

Deno.test("toNchw() rejects an output buffer that is too short", () => {
  assert.throws(
    () =>
      toNchw(
        [image(2, 2, () => 0)],
        2,
        [0, 0, 0],
        [1, 1, 1],
        new Float32Array(3),
      ),
    /needs an output of 12 floats: current length is 3/,
  );
});

Deno.test("toNchw() matches direct bilinear interpolation on a random image, up- and downscaling", () => {
  let seed = 3;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 256;
  for (const [w, h, size] of [[37, 23, 16], [9, 14, 20]] as const) {
    const img = image(w, h, () => next());
    const t = toNchw([img], size, [0, 0, 0], [1 / 255, 1 / 255, 1 / 255]);
    const tap = (d: number, src: number) => {
      const s = Math.min(Math.max((d + 0.5) * (src / size) - 0.5, 0), src - 1);
      return [
        Math.floor(s),
        Math.min(Math.floor(s) + 1, src - 1),
        s - Math.floor(s),
      ] as const;
    };
    const px = (x: number, y: number, c: number) =>
      img.rgb[(y * w + x) * 3 + c]!;
    for (let y = 0; y < size; y++) {
      const [y0, y1, wy] = tap(y, h);
      for (let x = 0; x < size; x++) {
        const [x0, x1, wx] = tap(x, w);
        for (let c = 0; c < 3; c++) {
          const top = px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx;
          const bot = px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx;
          const want = top * (1 - wy) + bot * wy;
          const got = t[c * size * size + y * size + x]!;
          assert.ok(
            Math.abs(got - want) < 1e-3,
            `${w}×${h}→${size} (${x}, ${y}, ${c}): ${got} vs ${want}`,
          );
        }
      }
    }
  }
});
