import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import type { Tile } from "../../core/types.ts";
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

Deno.test("embedSlides() refuses to store a different model's features under a name already used, and says how to go on", async () => {
  const dir = await Deno.makeTempDir();
  const store = await Store.open(":memory:");
  try {
    const model = `${dir}/encoder.onnx`;
    const options = { store, encoder: model, inputSize: 32, threads: 1 };
    await Deno.writeFile(model, tinyOnnxModel({ dim: 6, seed: 2 }));
    await embedSlides({ tiles: tiles("s1", 3), ...options });
    const [row] = await store.query(
      "SELECT name, fingerprint, source, dim FROM encoders",
    );
    assert.equal(row?.name, "encoder");
    assert.equal(row?.source, model);
    assert.equal(row?.dim, 6);
    // Same file again: same fingerprint, the new slide is embedded.
    const again = await embedSlides({ tiles: tiles("s2", 2), ...options });
    assert.deepEqual(again.embedded, ["s2"]);
    // Retrained weights in the same path, same name: refused, even with overwrite.
    await Deno.writeFile(model, tinyOnnxModel({ dim: 6, seed: 3 }));
    for (const overwrite of [false, true]) {
      await assert.rejects(
        embedSlides({ tiles: tiles("s3", 2), ...options, overwrite }),
        (e: Error) => {
          for (
            const part of [
              'Encoder name "encoder" stands for another model',
              "2 slide(s) were embedded",
              String(row?.fingerprint),
              "DELETE FROM embeddings WHERE encoder = 'encoder'",
            ]
          ) assert.ok(e.message.includes(part), `${part} in ${e.message}`);
          return true;
        },
      );
    }
    const n = await store.query("SELECT count(*) AS n FROM embeddings");
    assert.equal(n[0]?.n, 5);
    // Under another name the new model is fine.
    const renamed = await embedSlides({
      tiles: tiles("s3", 2),
      ...options,
      name: "encoder_v2",
    });
    assert.deepEqual(renamed.embedded, ["s3"]);
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
