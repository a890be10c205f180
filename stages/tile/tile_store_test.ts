import assert from "node:assert/strict";
import { relative } from "node:path";
import { openStore } from "../../data/store.ts";
import { TileStream } from "./tile_stream.ts";
import { tileFixtures } from "../../testing/tile_fixtures.ts";

Deno.test({
  name:
    "TileStream stores slide paths given relative to the working folder as absolute ones, for tiled and failed slides",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await tileFixtures();
    const store = await openStore(":memory:");
    try {
      const slides = [
        { id: "glass", path: relative(Deno.cwd(), f.glass.path) },
        { id: "missing", path: relative(Deno.cwd(), f.missing) },
      ];
      assert.ok(slides.every((s) => !s.path.startsWith("/")));
      const stage = new TileStream({ store, reader: "sharp", warn: () => {} });
      await Array.fromAsync(ReadableStream.from(slides).pipeThrough(stage));
      const rows = await store.query<
        { id: string; path: string; status: string }
      >("SELECT id, path, status FROM slides ORDER BY id");
      assert.deepEqual(rows.map((r) => ({ ...r })), [
        { id: "glass", path: f.glass.path, status: "empty" },
        { id: "missing", path: f.missing, status: "failed" },
      ]);
    } finally {
      store.close();
    }
  },
});
