import assert from "node:assert/strict";
import {
  openSlideAvailable,
  OpenSlideReader,
  premultipliedArgbToRgb,
} from "./openslide_reader.ts";
import { SharpReader } from "./sharp_reader.ts";
import { openSlide } from "./open_slide.ts";
import { readerConformance } from "../../testing/reader_conformance.ts";
import { bestLevelForDownsample } from "./slide_reader.ts";
import { tileFixtures } from "../../testing/tile_fixtures.ts";
import { needs } from "../../testing/system_libs.ts";

const noOpenSlide = () =>
  needs("libopenslide0", "OpenSlide reader tests").ignore;

readerConformance("SharpReader", (path) => SharpReader.open(path));
readerConformance("OpenSlideReader", (path) => OpenSlideReader.open(path), {
  skip: noOpenSlide,
});

Deno.test("OpenSlide loads on this machine (CI installs libopenslide0)", {
  ignore: noOpenSlide(),
}, () => {
  assert.ok(openSlideAvailable(), "libopenslide.so.0 did not load");
});

Deno.test({
  name:
    "OpenSlide and sharp give identical pixels, properties and levels on the same slides",
  ignore: noOpenSlide(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await tileFixtures();
    for (const path of [f.aperio.path, f.generic]) {
      const a = OpenSlideReader.open(path), b = SharpReader.open(path);
      try {
        assert.deepEqual(a.levelDimensions, b.levelDimensions);
        assert.deepEqual(a.levelDownsamples, b.levelDownsamples);
        for (
          const key of [
            "openslide.vendor",
            "openslide.mpp-x",
            "openslide.objective-power",
            "aperio.AppMag",
          ]
        ) {
          assert.equal(a.properties[key], b.properties[key], key);
        }
        for (
          const [x, y, level, w, h] of [
            [0, 0, 0, 256, 256],
            [512, 768, 0, 300, 200],
            [256, 256, 1, 128, 128],
            [
              900,
              600,
              0,
              256,
              256,
            ],
          ]
        ) {
          const pa = await a.readRegion(x!, y!, level!, w!, h!),
            pb = await b.readRegion(x!, y!, level!, w!, h!);
          assert.deepEqual(pa, pb, `${path} region ${x},${y} level ${level}`);
        }
      } finally {
        a.close();
        b.close();
      }
    }
  },
});

Deno.test({
  name: "openSlide() picks OpenSlide for auto and honours an explicit reader",
  ignore: noOpenSlide(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await tileFixtures();
    const auto = openSlide(f.aperio.path);
    assert.equal(auto.backend, "openslide");
    auto.close();
    const viaSharp = openSlide(f.aperio.path, { reader: "sharp" });
    assert.equal(viaSharp.backend, "sharp");
    viaSharp.close();
    assert.throws(
      () => openSlide(f.aperio.path, { reader: "bogus" as "auto" }),
      /reader must be/,
    );
  },
});

Deno.test("bestLevelForDownsample() takes the largest level not above the downsample", () => {
  assert.equal(bestLevelForDownsample([1, 2, 4, 8], 1), 0);
  assert.equal(bestLevelForDownsample([1, 2, 4, 8], 3.9), 1);
  assert.equal(bestLevelForDownsample([1, 2, 4, 8.01], 8), 3);
  assert.equal(bestLevelForDownsample([1, 2, 4, 8], 100), 3);
});

Deno.test("premultipliedArgbToRgb() composites premultiplied pixels on white", () => {
  const argb = new Uint32Array([0xff102030, 0x00000000, 0x80400000]);
  assert.deepEqual([...premultipliedArgbToRgb(argb)], [
    0x10,
    0x20,
    0x30,
    255,
    255,
    255,
    0x40 + 127,
    127,
    127,
  ]);
});
