/**
 * Stamps cell nuclei into a level-0 haematoxylin density map. Each kind of
 * cell has its own size, shape, darkness and density; tumour nuclei are
 * larger, darker, irregular and vesicular, and sit in a faint cytoplasm.
 *
 * @module
 */

import type { Rng } from "../../core/random.ts";

/** Shape and darkness of one nucleus, in level-0 pixels. */
export interface Nucleus {
  x: number;
  y: number;
  /** Semi-axes. */
  rx: number;
  ry: number;
  angle: number;
  /** Peak haematoxylin density, 0–255. */
  darkness: number;
  /** Amplitude of the radial wobble (0 = ellipse). */
  wobble: number;
  /** Darker rim, lighter centre (open chromatin). */
  vesicular: boolean;
}

/** A haematoxylin density map the size of level 0. */
export interface DensityMap {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Max-combines `nucleus` into `map`, with a soft 1.5-pixel edge and grain. */
export function stampNucleus(map: DensityMap, n: Nucleus, rng: Rng): void {
  const { data, width, height } = map;
  const reach = Math.ceil(Math.max(n.rx, n.ry) * (1 + n.wobble) + 2);
  const cos = Math.cos(n.angle), sin = Math.sin(n.angle);
  // Wobble as a·sin(kθ + p) from powers of (u + iv)/ρ: no atan2 per pixel.
  const k1 = 2 + rng.int(3), k2 = 5 + rng.int(2);
  const p1 = rng.uniform(0, 6.3), p2 = rng.uniform(0, 6.3);
  const c1 = Math.cos(p1),
    s1 = Math.sin(p1),
    c2 = Math.cos(p2),
    s2 = Math.sin(p2);
  const x0 = Math.max(0, Math.floor(n.x - reach)),
    x1 = Math.min(width, Math.ceil(n.x + reach));
  const y0 = Math.max(0, Math.floor(n.y - reach)),
    y1 = Math.min(height, Math.ceil(n.y + reach));
  let seed = rng.nextUint32() | 1;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = x - n.x, dy = y - n.y;
      const u = (dx * cos + dy * sin) / n.rx;
      const v = (-dx * sin + dy * cos) / n.ry;
      const rho = Math.sqrt(u * u + v * v);
      let edge = 1;
      if (n.wobble > 0 && rho > 0) {
        const cu = u / rho, sv = v / rho;
        let re = 1, im = 0, sin1 = 0, cos1 = 1, sin2 = 0, cos2 = 1;
        for (let k = 1; k <= k2; k++) {
          const t = re * cu - im * sv;
          im = re * sv + im * cu;
          re = t;
          if (k === k1) {
            cos1 = re;
            sin1 = im;
          }
        }
        cos2 = re;
        sin2 = im;
        edge += n.wobble *
          (sin1 * c1 + cos1 * s1 + 0.5 * (sin2 * c2 + cos2 * s2));
      }
      const inside = (edge - rho) * Math.min(n.rx, n.ry) / 1.5;
      if (inside <= 0) continue;
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const grain = 0.78 + 0.22 * ((seed >>> 0) % 1000) / 1000;
      const shade = n.vesicular ? 0.62 + 0.45 * Math.min(1, rho / edge) : 1;
      const value = n.darkness * Math.min(1, inside) * grain * shade;
      const i = y * width + x;
      if (value > (data[i] as number)) data[i] = Math.min(255, value);
    }
  }
}

/** Nucleus of a stromal fibroblast: thin, elongated along the fibres. */
export function fibroblast(
  x: number,
  y: number,
  angle: number,
  rng: Rng,
): Nucleus {
  return {
    x,
    y,
    rx: rng.uniform(6, 10),
    ry: rng.uniform(2, 3.4),
    angle: angle + rng.normal(0, 0.2),
    darkness: rng.uniform(120, 185),
    wobble: 0,
    vesicular: false,
  };
}

/** Nucleus of a benign epithelial or stromal cell: small, round, even. */
export function benignNucleus(x: number, y: number, rng: Rng): Nucleus {
  const r = rng.uniform(4, 5.5);
  return {
    x,
    y,
    rx: r * rng.uniform(1, 1.25),
    ry: r,
    angle: rng.uniform(0, Math.PI),
    darkness: rng.uniform(115, 165),
    wobble: 0,
    vesicular: false,
  };
}

/** A lymphocyte: small, round, very dark. */
export function lymphocyte(x: number, y: number, rng: Rng): Nucleus {
  const r = rng.uniform(3.2, 4.4);
  return {
    x,
    y,
    rx: r,
    ry: r * rng.uniform(0.9, 1),
    angle: 0,
    darkness: rng.uniform(205, 245),
    wobble: 0,
    vesicular: false,
  };
}

/**
 * A tumour nucleus: large, pleomorphic, dark, irregular, open chromatin;
 * `grade` (0–1) scales how far it departs from a benign nucleus.
 */
export function tumourNucleus(
  x: number,
  y: number,
  rng: Rng,
  grade = 1,
): Nucleus {
  const r = 5 + (rng.uniform(6.5, 12) - 5) * grade;
  return {
    x,
    y,
    rx: r * (1 + rng.uniform(0, 0.5) * grade),
    ry: r,
    angle: rng.uniform(0, Math.PI),
    darkness: 140 + (rng.uniform(175, 250) - 140) * grade,
    wobble: rng.uniform(0.06, 0.2) * grade,
    vesicular: rng.next() < 0.6 * grade,
  };
}

/** The faint haematoxylin of a tumour cell's cytoplasm around its nucleus. */
export function tumourCytoplasm(n: Nucleus, rng: Rng): Nucleus {
  return {
    ...n,
    rx: n.rx * rng.uniform(1.8, 2.4),
    ry: n.ry * rng.uniform(1.8, 2.4),
    darkness: rng.uniform(28, 50),
    wobble: 0.1,
    vesicular: false,
  };
}
