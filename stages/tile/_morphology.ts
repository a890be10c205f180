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
 * the image), with a sliding histogram per row (Huang's algorithm).
 */
export function medianFilter(image: GreyImage, radius: number): GreyImage {
  const { data, width, height } = image;
  if (radius <= 0) return { data: data.slice(), width, height };
  const out = new Uint8Array(data.length);
  const hist = new Int32Array(256);
  for (let y = 0; y < height; y++) {
    hist.fill(0);
    const y0 = Math.max(0, y - radius), y1 = Math.min(height - 1, y + radius);
    let count = 0;
    const addColumn = (x: number, sign: number) => {
      for (let yy = y0; yy <= y1; yy++) {
        hist[data[yy * width + x] as number]! += sign;
      }
      count += sign * (y1 - y0 + 1);
    };
    for (let x = 0; x <= Math.min(width - 1, radius); x++) addColumn(x, 1);
    for (let x = 0; x < width; x++) {
      if (x > 0) {
        if (x + radius < width) addColumn(x + radius, 1);
        if (x - radius - 1 >= 0) addColumn(x - radius - 1, -1);
      }
      const half = (count + 1) >> 1;
      let cumulative = 0, m = 0;
      while (m < 255 && cumulative + (hist[m] as number) < half) {
        cumulative += hist[m++] as number;
      }
      out[y * width + x] = m;
    }
  }
  return { data: out, width, height };
}

function extremum(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
  max: boolean,
) {
  const pass = (src: Uint8Array, horizontal: boolean) => {
    const dst = new Uint8Array(src.length);
    const outer = horizontal ? height : width,
      inner = horizontal ? width : height;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let v = max ? 0 : 1;
        for (
          let k = Math.max(0, i - radius);
          k <= Math.min(inner - 1, i + radius);
          k++
        ) {
          const s = src[horizontal ? o * width + k : k * width + o] as number;
          if (max ? s > v : s < v) v = s;
        }
        dst[horizontal ? o * width + i : i * width + o] = v;
      }
    }
    return dst;
  };
  return pass(pass(mask, true), false);
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
  const members: number[] = [];
  let kept = 0;
  for (let start = 0; start < mask.length; start++) {
    if (seen[start] || mask[start] !== value) continue;
    members.length = 0;
    let top = 0, border = false;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top] as number;
      members.push(p);
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
    if (keep(members.length, border)) kept++;
    else for (const p of members) mask[p] = 1 - value;
  }
  return kept;
}
