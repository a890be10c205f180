/**
 * Small slide fixtures for the tile-stage tests, written once per test
 * process into a temporary folder (removed when the process ends).
 *
 * @module
 */

import sharp from "sharp";
import { join } from "node:path";
import { writeSyntheticSlide } from "../data/synthetic/synthetic_slide.ts";
import type { SyntheticSlideFiles } from "../data/synthetic/synthetic_slide.ts";
import { readTiffLayout, tagNumbers } from "../data/tiff_tags.ts";

/** Paths of the fixtures. */
export interface TileFixtures {
  dir: string;
  /** Aperio-style synthetic slide, 1024×1536, MPP 0.5, with tumour and a pen mark. */
  aperio: SyntheticSlideFiles;
  /** Plain tiled pyramidal TIFF 1000×700 (odd level sizes), no vendor description. */
  generic: string;
  /** Synthetic slide without any tissue (glass, dust). */
  glass: SyntheticSlideFiles;
  /** The first 60 % of the Aperio slide's bytes. */
  truncated: string;
  /** The Aperio slide with the entropy-coded data of its level-0 tiles garbled. */
  corrupt: string;
  /** A PNG image. */
  png: string;
  /** A stripped (untiled) TIFF. */
  stripped: string;
  /** A path that does not exist. */
  missing: string;
}

let fixtures: Promise<TileFixtures> | undefined;

async function build(): Promise<TileFixtures> {
  const dir = await Deno.makeTempDir({ prefix: "asmil_tile_test_" });
  globalThis.addEventListener(
    "unload",
    () => Deno.removeSync(dir, { recursive: true }),
  );
  const aperio = await writeSyntheticSlide({
    id: "aperio",
    dir,
    seed: 11,
    width: 1024,
    height: 1536,
    positive: true,
    tumourFraction: 0.08,
    islands: 1,
    pen: true,
    blur: false,
  });
  const glass = await writeSyntheticSlide({
    id: "glass",
    dir,
    seed: 12,
    width: 1024,
    height: 1024,
    positive: false,
    islands: 0,
    pen: false,
    blur: false,
  });
  const w = 1000, h = 700;
  const gradient = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      gradient.set([x & 255, (x + y) & 255, y & 255], (y * w + x) * 3);
    }
  }
  const raw = { raw: { width: w, height: h, channels: 3 as const } };
  const generic = join(dir, "generic.tiff");
  await sharp(gradient, raw).tiff({
    tile: true,
    pyramid: true,
    compression: "jpeg",
    quality: 90,
  })
    .toFile(generic);
  const stripped = join(dir, "stripped.tiff");
  await sharp(gradient, raw).tiff({ compression: "lzw" }).toFile(stripped);
  const png = join(dir, "image.png");
  await sharp(gradient, raw).png().toFile(png);
  const bytes = await Deno.readFile(aperio.path);
  const truncated = join(dir, "truncated.tiff");
  await Deno.writeFile(
    truncated,
    bytes.subarray(0, Math.floor(bytes.length * 0.6)),
  );
  const garbled = bytes.slice();
  const layout = readTiffLayout(garbled, aperio.path);
  const level0 = layout.directories[0]!;
  const offsets = tagNumbers(garbled, layout, level0.tags.get(324)!);
  const counts = tagNumbers(garbled, layout, level0.tags.get(325)!);
  offsets.forEach((offset, t) => {
    // Keep each tile's JPEG headers; scramble the scan data after them.
    const end = offset + (counts[t] ?? 0) - 2;
    for (let i = offset + 700; i < end; i++) {
      garbled[i] = (i * 2654435761) >>> 24;
    }
  });
  const corrupt = join(dir, "corrupt.tiff");
  await Deno.writeFile(corrupt, garbled);
  return {
    dir,
    aperio,
    generic,
    glass,
    truncated,
    corrupt,
    png,
    stripped,
    missing: join(dir, "missing.svs"),
  };
}

/** The fixtures, built on first use. */
export function tileFixtures(): Promise<TileFixtures> {
  fixtures ??= build();
  return fixtures;
}
