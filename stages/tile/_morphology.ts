/**
 * Binary and greyscale image operations on small single-channel images
 * (thumbnails): median filter, square dilation/erosion, and removal of
 * connected regions by area.
 *
 * @module
 */

/** A single-channel 8-bit image, row-major. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Median over a `(2r+1)²` window (edges use the part of the window inside
 * the image), with a sliding histogram and a running median per row
 * (Huang's algorithm).
 */
export function medianFilter(image: GreyImage, radius: number): GreyImage {
  const { data, width, height } = image;
  if (radius <= 0) return { data: data.slice(), width, height };
  const out = new Uint8Array(data.length);
  const hist = new Int32Array(256);
  for (let y = 0; y < height; y++) {
    hist.fill(0);
    const y0 = Math.max(0, y - radius), y1 = Math.min(height - 1, y + radius);
    // m is the running median; below counts window values < m.
    let count = 0, m = 0, below = 0;
    const column = (x: number, sign: number) => {
      for (let yy = y0; yy <= y1; yy++) {
        const v = data[yy * width + x] as number;
        hist[v] = (hist[v] as number) + sign;
        if (v < m) below += sign;
      }
      count += sign * (y1 - y0 + 1);
    };
    for (let x = 0; x <= Math.min(width - 1, radius); x++) column(x, 1);
    for (let x = 0; x < width; x++) {
      if (x > 0) {
        if (x + radius < width) column(x + radius, 1);
        if (x - radius - 1 >= 0) column(x - radius - 1, -1);
      }
      const half = (count + 1) >> 1;
      while (below >= half && m > 0) below -= hist[--m] as number;
      while (below + (hist[m] as number) < half && m < 255) {
        below += hist[m++] as number;
      }
      out[y * width + x] = m;
    }
  }
  return { data: out, width, height };
}

/**
 * One separable pass of a binary square dilation (`any` set in the window)
 * or erosion (`all` set, outside counting as set), with running window sums
 * so the cost does not depend on the radius.
 */
function pass(
  src: Uint8Array,
  width: number,
  height: number,
  radius: number,
  horizontal: boolean,
  dilation: boolean,
): Uint8Array {
  const dst = new Uint8Array(src.length);
  const lines = horizontal ? height : width;
  const length = horizontal ? width : height;
  const step = horizontal ? 1 : width, lineStep = horizontal ? width : 1;
  const full = 2 * radius + 1;
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    let sum = 0;
    for (let k = 0; k < Math.min(radius, length); k++) {
      sum += src[base + k * step] as number;
    }
    for (let i = 0, at = base; i < length; i++, at += step) {
      if (i + radius < length) sum += src[at + radius * step] as number;
      if (i > radius) sum -= src[at - (radius + 1) * step] as number;
      if (dilation) dst[at] = sum > 0 ? 1 : 0;
      else {
        // Outside the image counts as set: compare with the in-image window size.
        const inside = i >= radius && i + radius < length
          ? full
          : Math.min(length - 1, i + radius) - Math.max(0, i - radius) + 1;
        dst[at] = sum === inside ? 1 : 0;
      }
    }
  }
  return dst;
}

function extremum(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
  dilation: boolean,
) {
  return pass(
    pass(mask, width, height, radius, true, dilation),
    width,
    height,
    radius,
    false,
    dilation,
  );
}

/** Dilation of a 0/1 mask by a `(2r+1)²` square. */
export function dilate(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
) {
  return radius > 0
    ? extremum(mask, width, height, radius, true)
    : mask.slice();
}

/** Erosion of a 0/1 mask by a `(2r+1)²` square (outside the image counts as set). */
export function erode(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
) {
  return radius > 0
    ? extremum(mask, width, height, radius, false)
    : mask.slice();
}

/** Morphological closing (dilate, then erode): bridges gaps narrower than `2r+1`. */
export function close(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
) {
  return erode(dilate(mask, width, height, radius), width, height, radius);
}

/**
 * Labels the 8-connected regions of pixels equal to `value` and calls
 * `keep(area, touchesBorder)` for each; pixels of rejected regions are
 * flipped to `1 - value`. Returns how many regions were kept.
 */
export function filterRegions(
  mask: Uint8Array,
  width: number,
  height: number,
  value: 0 | 1,
  keep: (area: number, touchesBorder: boolean) => boolean,
): number {
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const members = new Int32Array(mask.length);
  let kept = 0;
  for (let start = 0; start < mask.length; start++) {
    if (seen[start] || mask[start] !== value) continue;
    let size = 0, top = 0, border = false;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top] as number;
      members[size++] = p;
      const x = p % width, y = (p - x) / width;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) {
        border = true;
      }
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (!seen[q] && mask[q] === value) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (keep(size, border)) kept++;
    else for (let k = 0; k < size; k++) mask[members[k] as number] = 1 - value;
  }
  return kept;
}
