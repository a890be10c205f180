import assert from "node:assert/strict";
import sharp from "sharp";
import { join } from "node:path";
import { openStore } from "../../data/store.ts";
import type { SlideRef, Tile } from "../../core/types.ts";
import { loadTumourMask, tumourFraction } from "./ground_truth.ts";
import { TileStream } from "./tile_stream.ts";
import type { SlideTileResult } from "./tile_options.ts";
import { tileFixtures } from "../../testing/tile_fixtures.ts";
import { needs, testsNeedingRun } from "../../testing/system_libs.ts";

const noOpenSlide = () =>
  needs("libopenslide0", "OpenSlide tiling tests").ignore;

const opts = { sanitizeResources: false, sanitizeOps: false };

function batch(
  f: Awaited<ReturnType<typeof tileFixtures>>,
): SlideRef[] {
  return [
    { id: "truncated", path: f.truncated, label: 1 },
    { id: "png", path: f.png },
    { id: "missing", path: f.missing },
    { id: "glass", path: f.glass.path, label: 0 },
    { id: "aperio", path: f.aperio.path, label: 1, split: "train" },
  ];
}

Deno.test({
  ...opts,
  name:
    "TileStream records a truncated TIFF, a PNG and a missing file as failed, tiles an all-glass slide to zero, and goes on",
  async fn() {
    const f = await tileFixtures();
    // The sharp reader always; OpenSlide where installed (required in CI).
    const readers = testsNeedingRun("libopenslide0")
      ? ["openslide", "sharp"] as const
      : ["sharp"] as const;
    for (const reader of readers) {
      const notes: string[] = [];
      const stage = new TileStream({
        reader,
        tileSize: 256,
        mpp: 0.5,
        minTissue: 0.3,
        warn: (m) => notes.push(m),
      });
      const tiles = await Array.fromAsync(
        ReadableStream.from(batch(f)).pipeThrough(stage),
      );
      const byId = new Map(
        stage.results.map((r) => [r.slideId, r] as [string, SlideTileResult]),
      );
      assert.deepEqual(stage.results.map((r) => r.status), [
        "failed",
        "failed",
        "failed",
        "empty",
        "tiled",
      ], reader);
      assert.match(
        byId.get("truncated")!.error!,
        /TIFF structure is broken.*\(truncated\?\)/,
      );
      assert.match(byId.get("truncated")!.error!, /truncated\.tiff/);
      assert.match(byId.get("png")!.error!, /image\.png/);
      assert.match(
        byId.get("png")!.error!,
        /found a PNG image/,
      );
      assert.match(byId.get("missing")!.error!, /missing\.svs: file not found/);
      assert.equal(byId.get("glass")!.tiles, 0);
      assert.match(
        byId.get("glass")!.note!,
        /no tissue found on slide "glass"/,
      );
      assert.ok(notes.some((n) => n.includes("glass")));
      assert.ok(
        tiles.length > 5,
        `${reader}: ${tiles.length} tiles from the good slide`,
      );
      assert.equal(byId.get("aperio")!.tiles, tiles.length);
      assert.ok(
        tiles.every((t) =>
          t.slideId === "aperio" && t.rgb.length === 256 * 256 * 3
        ),
      );
    }
  },
});

Deno.test({
  ...opts,
  name:
    "TileStream labels tiles in tumour regions 1 and the rest 0, from the slide's tumour mask",
  async fn() {
    const f = await tileFixtures();
    const stage = new TileStream({
      tileSize: 256,
      mpp: 0.5,
      minTissue: 0.3,
      minTumour: 0.1,
    });
    const tiles: Tile[] = await Array.fromAsync(
      ReadableStream.from([{ id: "aperio", path: f.aperio.path }]).pipeThrough(
        stage,
      ),
    );
    const truth = (await loadTumourMask(f.aperio.path, 1024, 1536))!;
    const positives = tiles.filter((t) => t.label === 1);
    assert.ok(positives.length >= 1, "the fixture has tumour tiles");
    assert.ok(positives.length < tiles.length, "and tiles without tumour");
    for (const t of tiles) {
      const fraction = tumourFraction(truth, t.x, t.y, t.size);
      assert.equal(
        t.label,
        fraction >= 0.1 ? 1 : 0,
        `tile ${t.index} at ${t.x},${t.y} has ${fraction}`,
      );
    }
    // Tumour tiles are darker (more haematoxylin) than the others on average.
    const mean = (ts: Tile[]) =>
      ts.reduce(
        (s, t) => s + t.rgb.reduce((a, v) => a + v, 0) / t.rgb.length,
        0,
      ) / ts.length;
    assert.ok(mean(positives) < mean(tiles.filter((t) => t.label === 0)));
  },
});

Deno.test({
  ...opts,
  name:
    "TileStream emits tiles with level-0 coordinates and pixels equal to a direct read",
  async fn() {
    const f = await tileFixtures();
    const stage = new TileStream({
      tileSize: 128,
      mpp: 1.0,
      minTissue: 0.5,
      reader: "sharp",
    });
    const tiles = await Array.fromAsync(
      ReadableStream.from([{ id: "a", path: f.aperio.path }]).pipeThrough(
        stage,
      ),
    );
    assert.ok(tiles.length > 0);
    for (const t of tiles) {
      assert.equal(t.size, 256);
      assert.equal(t.level, 1);
      assert.equal(t.x % 256, 0);
      assert.equal(t.y % 256, 0);
    }
    const t = tiles[0]!;
    const direct = await sharp(f.aperio.path, { page: 1 }).extract({
      left: t.x / 2,
      top: t.y / 2,
      width: 128,
      height: 128,
    })
      .raw().toBuffer();
    assert.deepEqual(t.rgb, new Uint8Array(direct));
  },
});

Deno.test({
  ...opts,
  name:
    "TileStream writes slides, tiles and failures to the store and skips finished slides on a rerun",
  async fn() {
    const f = await tileFixtures();
    const store = await openStore(":memory:");
    try {
      const qcDir = join(f.dir, "qc");
      const first = new TileStream({ store, qcDir, minTissue: 0.3 });
      const tiles = await Array.fromAsync(
        ReadableStream.from(batch(f)).pipeThrough(first),
      );
      const slides = await store.query<
        {
          id: string;
          status: string;
          error: string | null;
          vendor: string | null;
        }
      >(
        "SELECT id, status, error, vendor FROM slides ORDER BY id",
      );
      assert.deepEqual(slides.map((s) => [s.id, s.status]), [
        ["aperio", "tiled"],
        ["glass", "empty"],
        ["missing", "failed"],
        ["png", "failed"],
        ["truncated", "failed"],
      ]);
      assert.equal(slides[0]?.vendor, "aperio");
      assert.match(
        slides.find((s) => s.id === "missing")!.error!,
        /file not found/,
      );
      const stored = await store.query<{ n: number; positives: number }>(
        "SELECT count(*) AS n, sum(label) AS positives FROM tiles WHERE slide = 'aperio'",
      );
      assert.equal(stored[0]?.n, tiles.length);
      assert.equal(
        stored[0]?.positives,
        tiles.filter((t) => t.label === 1).length,
      );
      const failures = await store.query(
        "SELECT slide FROM failures WHERE stage = 'tile' ORDER BY slide",
      );
      assert.deepEqual(failures.map((r) => r.slide), [
        "missing",
        "png",
        "truncated",
      ]);
      await Deno.stat(join(qcDir, "aperio.mask.png"));
      await Deno.stat(join(qcDir, "aperio.overlay.png"));

      const again = new TileStream({ store, minTissue: 0.3 });
      const second = await Array.fromAsync(
        ReadableStream.from(batch(f)).pipeThrough(again),
      );
      assert.equal(second.length, 0);
      assert.deepEqual(again.results.map((r) => r.status), [
        "failed",
        "failed",
        "failed",
        "skipped",
        "skipped",
      ]);

      const reuse = new TileStream({ store, minTissue: 0.3, rerun: "reuse" });
      const reread = await Array.fromAsync(
        ReadableStream.from([{ id: "aperio", path: f.aperio.path }])
          .pipeThrough(reuse),
      );
      assert.equal(reuse.results[0]?.status, "reused");
      assert.deepEqual(
        reread.map((t) => [t.x, t.y, t.label]),
        tiles.map((t) => [t.x, t.y, t.label]),
      );

      const changed = new TileStream({ store, minTissue: 0.6 });
      await Array.fromAsync(
        ReadableStream.from([{ id: "aperio", path: f.aperio.path }])
          .pipeThrough(changed),
      );
      assert.equal(
        changed.results[0]?.status,
        "tiled",
        "new parameters tile the slide again",
      );
    } finally {
      store.close();
    }
  },
});

Deno.test({
  ...opts,
  name:
    "TileStream with failFast errors the stream with the failed slide's name",
  async fn() {
    const f = await tileFixtures();
    const stage = new TileStream({ failFast: true });
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from([{ id: "png", path: f.png }, {
          id: "aperio",
          path: f.aperio.path,
        }]).pipeThrough(stage),
      ),
      /image\.png/,
    );
    assert.equal(stage.results.length, 1);
  },
});

Deno.test({
  ...opts,
  name:
    "TileStream needs an MPP override for a slide without one, and uses it when given",
  async fn() {
    const f = await tileFixtures();
    const without = new TileStream({ tileSize: 128, minTissue: 0 });
    await Array.fromAsync(
      ReadableStream.from([{ id: "gen", path: f.generic }]).pipeThrough(
        without,
      ),
    );
    assert.equal(without.results[0]?.status, "failed");
    assert.match(without.results[0]!.error!, /"gen".*no MPP/);
    const perSlide = new TileStream({
      tileSize: 128,
      minTissue: 0,
      mppBySlide: { gen: 0.25 },
      tissue: { threshold: 0, removePen: false },
    });
    const tiles = await Array.fromAsync(
      ReadableStream.from([{ id: "gen", path: f.generic }]).pipeThrough(
        perSlide,
      ),
    );
    assert.equal(perSlide.results[0]?.mpp, 0.25);
    assert.equal(
      tiles[0]?.size,
      256,
      "0.5 µm/px tiles on a 0.25 µm/px slide span twice the pixels",
    );
    const global = new TileStream({
      tileSize: 128,
      minTissue: 0,
      mppOverride: 0.5,
      tissue: { threshold: 0, removePen: false },
    });
    await Array.fromAsync(
      ReadableStream.from([{ id: "gen", path: f.generic }]).pipeThrough(global),
    );
    assert.equal(global.results[0]?.mpp, 0.5);
    assert.throws(
      () => new TileStream({ prefetch: 0 }),
      /prefetch must be a positive integer/,
    );
  },
});

Deno.test({
  ...opts,
  name:
    "TileStream with OpenSlide records a slide whose JPEG tiles are corrupt as failed with OpenSlide's reason",
  ignore: noOpenSlide(),
  async fn() {
    const f = await tileFixtures();
    const stage = new TileStream({ reader: "openslide", minTissue: 0.3 });
    const tiles = await Array.fromAsync(
      ReadableStream.from([{ id: "corrupt", path: f.corrupt }, {
        id: "aperio",
        path: f.aperio.path,
      }]).pipeThrough(stage),
    );
    assert.deepEqual(stage.results.map((r) => r.status), ["failed", "tiled"]);
    assert.match(
      stage.results[0]!.error!,
      /corrupt\.tiff: OpenSlide says .*JPEG/,
    );
    assert.ok(
      tiles.every((t) => t.slideId === "aperio"),
      "no tile of the corrupt slide is emitted",
    );
  },
});
