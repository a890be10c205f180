import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import type { Tile } from "../../pipeline/types.ts";
import { embedSlides } from "./embed_slides.ts";
import { openEncoder } from "./open_encoder.ts";
import { tinyOnnxModel } from "./tiny_onnx_model.ts";

function tiles(slideId: string, n: number): Tile[] {
  return Array.from({ length: n }, (_, index) => ({
    slideId,
    index,
    x: index,
    y: 0,
    size: 48,
    level: 0,
    tissueFraction: 1,
    rgb: new Uint8Array(48 * 48 * 3).fill(10 * index + slideId.length),
    width: 48,
    height: 48,
  }));
}

Deno.test("embedSlides() embeds an .onnx encoder's slides into the store, then skips them on a rerun", async () => {
  const dir = await Deno.makeTempDir();
  const store = await Store.open(":memory:");
  try {
    const model = `${dir}/my_encoder.onnx`;
    await Deno.writeFile(model, tinyOnnxModel({ dim: 6, seed: 2 }));
    const input = () => [...tiles("s1", 5), ...tiles("s22", 3)];
    const options = {
      store,
      encoder: model,
      inputSize: 32,
      batchSize: 4,
      threads: 1,
    };
    const first = await embedSlides({ tiles: input(), ...options });
    assert.equal(first.encoder, "my_encoder");
    assert.equal(first.dim, 6);
    assert.deepEqual(first.embedded, ["s1", "s22"]);
    assert.equal(first.tiles, 8);
    const second = await embedSlides({
      tiles: ReadableStream.from(input()),
      ...options,
    });
    assert.deepEqual(second.skipped, ["s1", "s22"]);
    assert.equal(second.tiles, 0);
    const rows = await store.query(
      "SELECT len(features) AS d, count(*) AS n FROM embeddings GROUP BY 1",
    );
    assert.deepEqual(rows, [{ d: 6, n: 8 }]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openEncoder() rejects a name that is neither built in nor an .onnx path", async () => {
  await assert.rejects(
    openEncoder("uni"),
    /Unknown encoder "uni": expected one of mobilenet_v2 or a path ending in .onnx/,
  );
});
