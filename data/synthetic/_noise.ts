/**
 * Smooth value noise for the synthetic slides: random values on a coarse
 * lattice, interpolated with a smoothstep. Optionally periodic so a texture
 * tiles without seams.
 *
 * @module
 */

import type { Rng } from "../../core/random.ts";

/**
 * A `width × height` field of values in [0, 1) with features about `cell`
 * pixels apart. With `periodic`, `width` and `height` must be multiples of
 * `cell` and the field wraps around at its edges.
 */
export function valueNoise(
  width: number,
  height: number,
  cell: number,
  rng: Rng,
  periodic = false,
): Float32Array {
  const gw = Math.ceil(width / cell) + (periodic ? 0 : 2);
  const gh = Math.ceil(height / cell) + (periodic ? 0 : 2);
  const lattice = new Float32Array(gw * gh);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  const out = new Float32Array(width * height);
  const fx = new Float32Array(width);
  const x0 = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = x / cell;
    x0[x] = Math.floor(gx);
    const t = gx - Math.floor(gx);
    fx[x] = t * t * (3 - 2 * t);
  }
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    let ty = gy - y0;
    ty = ty * ty * (3 - 2 * ty);
    const r0 = (y0 % gh) * gw;
    const r1 = ((y0 + 1) % gh) * gw;
    for (let x = 0; x < width; x++) {
      const a = x0[x] as number;
      const c0 = a % gw;
      const c1 = (a + 1) % gw;
      const t = fx[x] as number;
      const top = (lattice[r0 + c0] as number) * (1 - t) +
        (lattice[r0 + c1] as number) * t;
      const bottom = (lattice[r1 + c0] as number) * (1 - t) +
        (lattice[r1 + c1] as number) * t;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/**
 * Sum of `octaves` value-noise layers, each at half the cell size and half
 * the weight of the previous one, rescaled to [0, 1].
 */
export function fractalNoise(
  width: number,
  height: number,
  cell: number,
  octaves: number,
  rng: Rng,
  periodic = false,
): Float32Array {
  const out = new Float32Array(width * height);
  let weight = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const size = Math.max(1, cell >> o);
    const layer = valueNoise(width, height, size, rng, periodic);
    for (let i = 0; i < out.length; i++) {
      out[i] = (out[i] as number) + weight * (layer[i] as number);
    }
    total += weight;
    weight /= 2;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / total;
  return out;
}
