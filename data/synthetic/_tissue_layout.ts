/**
 * Tile grids for the feature cohort: a tissue-shaped set of grid cells and
 * tumour blobs grown inside it.
 *
 * @module
 */
import type { Rng } from "../../core/random.ts";

/** The tiles of one slide on its grid, row-major. */
export interface TissueGrid {
  /** Grid columns and rows of the bounding box. */
  width: number;
  height: number;
  /** Column and row of each tile, sorted by row, then column. */
  col: Int32Array;
  row: Int32Array;
  /** Tile index at `row * width + col`, or -1 off the tissue. */
  tileAt: Int32Array;
}

/**
 * Exactly `n` grid cells shaped like a piece of tissue: the cells inside a
 * rotated, elongated outline whose radius wobbles with a few harmonics
 * (smallest normalised radius first), cropped to their bounding box.
 */
export function tissueGrid(n: number, rng: Rng): TissueGrid {
  const harmonics = [2, 3, 4, 5].map((h) => ({
    h,
    amplitude: rng.uniform(0, 0.3 / h),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  const aspect = rng.uniform(0.55, 1);
  const rotation = rng.uniform(0, Math.PI);
  const cos = Math.cos(rotation), sin = Math.sin(rotation);
  // Outline radius ≥ 0.5 and aspect ≥ 0.55: the shape fits well inside.
  const side = Math.ceil(3.2 * Math.sqrt(n)) + 2;
  const centre = (side - 1) / 2;
  const radius = new Float64Array(side * side);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const dx = c - centre, dy = r - centre;
      const u = cos * dx + sin * dy, v = (-sin * dx + cos * dy) / aspect;
      const theta = Math.atan2(v, u);
      let outline = 1;
      for (const { h, amplitude, phase } of harmonics) {
        outline += amplitude * Math.cos(h * theta + phase);
      }
      radius[r * side + c] = Math.hypot(u, v) / outline;
    }
  }
  const order = Uint32Array.from(radius.keys())
    .sort((a, b) => radius[a]! - radius[b]! || a - b)
    .subarray(0, n)
    .sort();
  let minR = side, maxR = 0, minC = side, maxC = 0;
  for (const cell of order) {
    const r = Math.floor(cell / side), c = cell % side;
    minR = Math.min(minR, r), maxR = Math.max(maxR, r);
    minC = Math.min(minC, c), maxC = Math.max(maxC, c);
  }
  const width = maxC - minC + 1, height = maxR - minR + 1;
  const tileAt = new Int32Array(width * height).fill(-1);
  const col = new Int32Array(n), row = new Int32Array(n);
  order.forEach((cell, i) => {
    row[i] = Math.floor(cell / side) - minR;
    col[i] = (cell % side) - minC;
    tileAt[row[i]! * width + col[i]!] = i;
  });
  return { width, height, col, row, tileAt };
}

/** The 4-connected tissue neighbours of tile `i`. */
export function neighbours(grid: TissueGrid, i: number): number[] {
  const r = grid.row[i]!, c = grid.col[i]!, out: number[] = [];
  for (const [dr, dc] of [[-1, 0], [1, 0], [0, -1], [0, 1]] as const) {
    const rr = r + dr, cc = c + dc;
    if (rr < 0 || cc < 0 || rr >= grid.height || cc >= grid.width) continue;
    const j = grid.tileAt[rr * grid.width + cc]!;
    if (j >= 0) out.push(j);
  }
  return out;
}

/**
 * Grows tumour blobs of the given sizes by random accretion (Eden growth)
 * from random seed tiles. Each blob is 4-connected and never touches
 * another, so blobs are the connected components of the tumour. A blob
 * hemmed in before reaching its size leaves the rest to a new blob; blobs
 * stop when no free seed tile is left.
 *
 * @returns the tile indices of each blob, in the order they grew.
 */
export function growBlobs(
  grid: TissueGrid,
  sizes: readonly number[],
  rng: Rng,
): Int32Array[] {
  const n = grid.col.length;
  const owner = new Int32Array(n).fill(-1);
  const blobs: Int32Array[] = [];
  const free = (j: number, blob: number) =>
    owner[j] === -1 &&
    neighbours(grid, j).every((k) => owner[k] === -1 || owner[k] === blob);
  const queue = [...sizes];
  for (let attempts = 0; queue.length > 0 && attempts < 4 * n; attempts++) {
    const want = queue.shift()!;
    const blob = blobs.length;
    const seed = rng.int(n);
    if (!free(seed, blob)) {
      queue.unshift(want);
      continue;
    }
    const members = [seed];
    owner[seed] = blob;
    const frontier = neighbours(grid, seed);
    while (members.length < want && frontier.length > 0) {
      const pick = rng.int(frontier.length);
      const j = frontier[pick]!;
      frontier[pick] = frontier.at(-1)!;
      frontier.pop();
      if (!free(j, blob)) continue;
      owner[j] = blob;
      members.push(j);
      for (const k of neighbours(grid, j)) {
        if (owner[k] === -1) frontier.push(k);
      }
    }
    blobs.push(Int32Array.from(members));
    if (members.length < want) queue.push(want - members.length);
  }
  return blobs;
}
