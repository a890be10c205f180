/**
 * The conformance suite every {@link SlideReader} passes: one function that
 * registers the same tests for a reader factory (as Hono runs one router
 * suite over every router).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type SlideReader,
  SlideReadError,
} from "../stages/tile/slide_reader.ts";
import { tileFixtures } from "./tile_fixtures.ts";

/**
 * Registers the reader tests for `open` under `name`; `skip()` is asked
 * once per test whether to skip it (e.g. the reader's library is missing).
 *
 * @example
 * ```ts ignore
 * import { readerConformance } from "./reader_conformance.ts";
 * import { SharpReader } from "../stages/tile/sharp_reader.ts";
 * readerConformance("SharpReader", (path) => SharpReader.open(path));
 * ```
 */
export function readerConformance(
  name: string,
  open: (path: string) => SlideReader,
  options: { skip?: () => boolean } = {},
): void {
  const test = (title: string, fn: () => Promise<void>) =>
    Deno.test({
      name: `${name} ${title}`,
      ignore: options.skip?.() ?? false,
      fn,
      sanitizeResources: false,
      sanitizeOps: false,
    });

  test("reports the Aperio fixture's levels, MPP, magnification and vendor", async () => {
    const f = await tileFixtures();
    const slide = open(f.aperio.path);
    try {
      assert.equal(slide.vendor, "aperio");
      assert.equal(slide.mpp, 0.5);
      assert.equal(slide.magnification, 20);
      assert.equal(slide.properties["openslide.mpp-x"], "0.5");
      assert.deepEqual(slide.levelDimensions[0], { width: 1024, height: 1536 });
      assert.ok(
        slide.levelCount >= 3,
        `expected ≥ 3 levels, got ${slide.levelCount}`,
      );
      assert.equal(slide.levelDownsamples[0], 1);
      assert.deepEqual(slide.levelDimensions[1], { width: 512, height: 768 });
      assert.equal(slide.levelDownsamples[1], 2);
    } finally {
      slide.close();
    }
  });

  test("reads a generic tiled TIFF with odd level sizes as generic-tiff without MPP", async () => {
    const f = await tileFixtures();
    const slide = open(f.generic);
    try {
      assert.equal(slide.vendor, "generic-tiff");
      assert.equal(slide.mpp, undefined);
      assert.deepEqual(slide.levelDimensions[0], { width: 1000, height: 700 });
      assert.deepEqual(slide.levelDimensions[1], { width: 500, height: 350 });
      const rgb = await slide.readRegion(300, 200, 0, 4, 1);
      // The gradient fixture is (x & 255, (x + y) & 255, y & 255) before JPEG.
      assert.ok(
        Math.abs((rgb[0] as number) - (300 & 255)) <= 6,
        `red ${rgb[0]}`,
      );
      assert.ok(Math.abs((rgb[2] as number) - 200) <= 6, `blue ${rgb[2]}`);
    } finally {
      slide.close();
    }
  });

  test("returns width × height × 3 bytes and white outside the image", async () => {
    const f = await tileFixtures();
    const slide = open(f.aperio.path);
    try {
      const rgb = await slide.readRegion(1024 - 64, 0, 0, 128, 32);
      assert.equal(rgb.length, 128 * 32 * 3);
      for (let y = 0; y < 32; y++) {
        for (let x = 64; x < 128; x++) {
          assert.equal(rgb[(y * 128 + x) * 3 + 1], 255);
        }
      }
      const far = await slide.readRegion(5000, 5000, 1, 8, 8);
      assert.ok(far.every((v) => v === 255));
    } finally {
      slide.close();
    }
  });

  test("gives a thumbnail of the requested scale", async () => {
    const f = await tileFixtures();
    const slide = open(f.aperio.path);
    try {
      const thumb = await slide.thumbnail(16);
      assert.equal(thumb.width, 64);
      assert.equal(thumb.height, 96);
      assert.equal(thumb.rgb.length, 64 * 96 * 3);
      assert.equal(thumb.downsampleX, 16);
    } finally {
      slide.close();
    }
  });

  test("rejects a bad level or size with a RangeError naming the slide", async () => {
    const f = await tileFixtures();
    const slide = open(f.aperio.path);
    try {
      await assert.rejects(
        slide.readRegion(0, 0, slide.levelCount, 8, 8),
        (e: Error) => {
          assert.ok(e instanceof RangeError);
          assert.match(e.message, /aperio\.tiff/);
          return true;
        },
      );
      await assert.rejects(slide.readRegion(0, 0, 0, 0, 8), RangeError);
    } finally {
      slide.close();
    }
    await assert.rejects(slide.readRegion(0, 0, 0, 8, 8), /closed/);
  });

  test("refuses a missing file, a PNG and a stripped TIFF with a SlideReadError", async () => {
    const f = await tileFixtures();
    for (
      const [path, reason] of [[f.missing, /not found/], [
        f.png,
        /found a PNG image/,
      ], [
        f.stripped,
        /stripped \(untiled\) TIFF/,
      ]] as const
    ) {
      assert.throws(() => open(path), (e: Error) => {
        assert.ok(e instanceof SlideReadError, `${path}: ${e}`);
        assert.match(e.message, reason);
        assert.ok(e.message.includes(path), e.message);
        return true;
      });
    }
  });

  test("fails on a truncated TIFF at open or read, naming the file", async () => {
    const f = await tileFixtures();
    let error: Error | undefined;
    try {
      const slide = open(f.truncated);
      try {
        for (let y = 0; y < 1536; y += 256) {
          for (let x = 0; x < 1024; x += 256) {
            await slide.readRegion(x, y, 0, 256, 256);
          }
        }
      } finally {
        slide.close();
      }
    } catch (e) {
      error = e as Error;
    }
    assert.ok(error, "a truncated slide must not read cleanly");
    assert.ok(error.message.includes(f.truncated), error.message);
  });
}
