/**
 * Turns RGB tiles into the NCHW float tensor an image model takes: bilinear
 * resize (half-pixel centres, edge clamped) to a square input and
 * `(pixel / 255 − mean) / std` per channel, in one pass.
 *
 * @module
 */

import type { Rgb3, RgbImage } from "./encoder.ts";

/**
 * Writes `images` resized to `size × size` into `out` (allocated when not
 * given) as `[n, 3, size, size]`.
 *
 * @example
 * ```ts
 * import { toNchw } from "./preprocess.ts";
 * const white = { rgb: new Uint8Array(4 * 4 * 3).fill(255), width: 4, height: 4 };
 * const t = toNchw([white], 2, [0, 0, 0], [1, 1, 1]);
 * if (t.length !== 12 || t[0] !== 1) throw new Error("white is 1 on [0, 1]");
 * ```
 */
export function toNchw(
  images: readonly RgbImage[],
  size: number,
  mean: Rgb3,
  std: Rgb3,
  out: Float32Array = new Float32Array(images.length * 3 * size * size),
): Float32Array {
  const plane = size * size;
  if (out.length < images.length * 3 * plane) {
    throw new RangeError(
      `toNchw() needs an output of ${
        images.length * 3 * plane
      } floats: current length is ${out.length}`,
    );
  }
  const a = [0, 1, 2].map((c) => 1 / (255 * std[c]!));
  const b = [0, 1, 2].map((c) => -mean[c]! / std[c]!);
  images.forEach((img, i) => {
    checkImage(img, i);
    const base = i * 3 * plane;
    if (img.width === size && img.height === size) {
      copyPlanes(img.rgb, plane, out, base, a, b);
    } else {
      resizePlanes(img, size, out, base, a, b);
    }
  });
  return out;
}

function checkImage(img: RgbImage, i: number): void {
  const where = "slideId" in img
    ? `tile ${(img as { index?: number }).index} of slide ${
      (img as { slideId?: string }).slideId
    }`
    : `image ${i}`;
  if (
    !Number.isInteger(img.width) || !Number.isInteger(img.height) ||
    img.width <= 0 || img.height <= 0
  ) {
    throw new RangeError(
      `Expected positive integer width and height for ${where}: current size is ${img.width}×${img.height}`,
    );
  }
  if (!(img.rgb instanceof Uint8Array)) {
    throw new TypeError(
      `Expected Uint8Array rgb for ${where}: got ${typeof img.rgb}`,
    );
  }
  if (img.rgb.length !== img.width * img.height * 3) {
    throw new RangeError(
      `Expected ${img.width}×${img.height}×3 = ${
        img.width * img.height * 3
      } RGB bytes for ${where}: current length is ${img.rgb.length}`,
    );
  }
}

function copyPlanes(
  rgb: Uint8Array,
  plane: number,
  out: Float32Array,
  base: number,
  a: number[],
  b: number[],
): void {
  const [a0, a1, a2] = a as [number, number, number];
  const [b0, b1, b2] = b as [number, number, number];
  for (let p = 0, q = 0; p < plane; p++, q += 3) {
    out[base + p] = rgb[q]! * a0 + b0;
    out[base + plane + p] = rgb[q + 1]! * a1 + b1;
    out[base + 2 * plane + p] = rgb[q + 2]! * a2 + b2;
  }
}

/** Source index pairs and weights for one axis (half-pixel centres). */
function axisTaps(src: number, dst: number) {
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    const s = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), src - 1);
    const f = Math.floor(s);
    i0[d] = f;
    i1[d] = Math.min(f + 1, src - 1);
    w[d] = s - f;
  }
  return { i0, i1, w };
}

function resizePlanes(
  img: RgbImage,
  size: number,
  out: Float32Array,
  base: number,
  a: number[],
  b: number[],
): void {
  const { rgb, width } = img;
  const plane = size * size;
  const xs = axisTaps(width, size), ys = axisTaps(img.height, size);
  const [a0, a1, a2] = a as [number, number, number];
  const [b0, b1, b2] = b as [number, number, number];
  // Separable: rows resized horizontally once (two cached), then blended.
  let rowA = new Float32Array(size * 3), rowB = new Float32Array(size * 3);
  let idxA = -1, idxB = -1;
  const horizontal = (row: number, dst: Float32Array) => {
    const r = row * width * 3;
    for (let x = 0, o = 0; x < size; x++, o += 3) {
      const p = r + xs.i0[x]! * 3, q = r + xs.i1[x]! * 3, w = xs.w[x]!;
      dst[o] = rgb[p]! + (rgb[q]! - rgb[p]!) * w;
      dst[o + 1] = rgb[p + 1]! + (rgb[q + 1]! - rgb[p + 1]!) * w;
      dst[o + 2] = rgb[p + 2]! + (rgb[q + 2]! - rgb[p + 2]!) * w;
    }
  };
  for (let y = 0; y < size; y++) {
    const r0 = ys.i0[y]!, r1 = ys.i1[y]!, wy = ys.w[y]!;
    if (idxA !== r0) {
      if (idxB === r0) [rowA, rowB, idxA, idxB] = [rowB, rowA, idxB, idxA];
      else horizontal(r0, rowA), idxA = r0;
    }
    if (idxB !== r1) horizontal(r1, rowB), idxB = r1;
    const o = base + y * size;
    for (let x = 0, k = 0; x < size; x++, k += 3) {
      out[o + x] = (rowA[k]! + (rowB[k]! - rowA[k]!) * wy) * a0 + b0;
      out[o + plane + x] =
        (rowA[k + 1]! + (rowB[k + 1]! - rowA[k + 1]!) * wy) * a1 + b1;
      out[o + 2 * plane + x] =
        (rowA[k + 2]! + (rowB[k + 2]! - rowA[k + 2]!) * wy) * a2 + b2;
    }
  }
}
