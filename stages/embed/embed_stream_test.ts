import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { Rng } from "../../core/random.ts";
import type { Tile } from "../../core/types.ts";
import type { Encoder, PreparedBatch } from "./encoder.ts";
import { EmbedStream, type SlideEmbedded } from "./embed_stream.ts";
import { OnnxEncoder } from "./onnx_encoder.ts";
import { tinyOnnxModel } from "./tiny_onnx_model.ts";

const tinyEncoder = () =>
  OnnxEncoder.create({
    model: tinyOnnxModel({ dim: 12, seed: 5 }),
    name: "tiny",
    inputSize: 32,
    threads: 1,
  });

function tiles(slideId: string, n: number, seed: number): Tile[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, index) => {
    const rgb = new Uint8Array(40 * 40 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(256);
    return {
      slideId,
      index,
      x: index * 40,
      y: 7,
      size: 40,
      level: 0,
      tissueFraction: 1,
      label: index % 2,
      rgb,
      width: 40,
      height: 40,
    };
  });
}

/** Tiles of slides a, b, c, … with `counts[i]` tiles each (seeded i + 1). */
function slidesTiles(...counts: number[]): Tile[] {
  return counts.flatMap((n, i) => tiles(String.fromCharCode(97 + i), n, i + 1));
}

/** The real encoder, counting the images it is asked to run. */
function counting(encoder: Encoder) {
  const counter = { images: 0 };
  const wrapped: Encoder = Object.assign(Object.create(encoder) as Encoder, {
    infer(batch: PreparedBatch) {
      counter.images += batch.n;
      return encoder.infer(batch);
    },
  });
  return { encoder: wrapped, counter };
}

const run = (input: Tile[], stage: EmbedStream) =>
  Array.fromAsync(ReadableStream.from(input).pipeThrough(stage));

Deno.test("EmbedStream() emits one embedding per tile, in order, equal to the encoder's own features", async () => {
  const encoder = await tinyEncoder();
  try {
    const input = slidesTiles(5, 4);
    const out = await run(input, new EmbedStream({ encoder, batchSize: 3 }));
    assert.deepEqual(
      out.map((e) => `${e.slideId}:${e.index}`),
      input.map((t) => `${t.slideId}:${t.index}`),
    );
    const direct = await encoder.embed(input);
    out.forEach((e, i) => {
      assert.equal(e.encoder, "tiny");
      assert.equal(e.x, input[i]!.x);
      assert.equal(e.label, i < 5 ? i % 2 : (i - 5) % 2);
      assert.deepEqual(e.features, direct[i]);
    });
  } finally {
    await encoder.close();
  }
});

Deno.test("EmbedStream() stores each slide and a rerun skips it, emitting the stored features", async () => {
  const store = await Store.open(":memory:");
  const base = await tinyEncoder();
  try {
    const input = slidesTiles(4, 3);
    const first = await run(
      input,
      new EmbedStream({ encoder: base, batchSize: 2, store }),
    );
    const rows = await store.query(
      "SELECT slide, count(*) AS n FROM embeddings WHERE encoder = 'tiny' GROUP BY slide ORDER BY slide",
    );
    assert.deepEqual(rows, [{ slide: "a", n: 4 }, { slide: "b", n: 3 }]);
    const { encoder, counter } = counting(base);
    const events: SlideEmbedded[] = [];
    const second = await run(
      input,
      new EmbedStream({
        encoder,
        batchSize: 2,
        store,
        onSlide: (e) => events.push(e),
      }),
    );
    assert.equal(counter.images, 0, "no tile is re-embedded");
    assert.deepEqual(events.map((e) => e.status), ["skipped", "skipped"]);
    second.forEach((e, i) => {
      const want = first[i]!.features;
      assert.ok(e.features.every((v, j) => Math.abs(v - want[j]!) < 1e-6));
    });
  } finally {
    await base.close();
    store.close();
  }
});

Deno.test("EmbedStream() leaves no rows of a slide that fails mid-way, and a rerun resumes from it", async () => {
  const store = await Store.open(":memory:");
  const base = await tinyEncoder();
  try {
    const good = slidesTiles(4, 6, 2);
    const broken = good.map((t) =>
      t.slideId === "b" && t.index === 4
        ? { ...t, rgb: t.rgb.subarray(0, 100) }
        : t
    );
    await assert.rejects(
      run(broken, new EmbedStream({ encoder: base, batchSize: 2, store })),
      /4800 RGB bytes for tile 4 of slide b: current length is 100/,
    );
    const stored = await store.query(
      "SELECT slide, count(*) AS n FROM embeddings GROUP BY slide ORDER BY slide",
    );
    assert.deepEqual(
      stored,
      [{ slide: "a", n: 4 }],
      "slide a committed, nothing of b or c",
    );
    const { encoder, counter } = counting(base);
    await run(good, new EmbedStream({ encoder, batchSize: 2, store }));
    assert.equal(counter.images, 8, "only b and c are embedded on the rerun");
    const after = await store.query(
      "SELECT slide, count(*) AS n FROM embeddings GROUP BY slide ORDER BY slide",
    );
    assert.deepEqual(after, [{ slide: "a", n: 4 }, { slide: "b", n: 6 }, {
      slide: "c",
      n: 2,
    }]);
  } finally {
    await base.close();
    store.close();
  }
});

Deno.test("EmbedStream() in skip mode records a failed slide and embeds the others", async () => {
  const store = await Store.open(":memory:");
  const encoder = await tinyEncoder();
  try {
    const input = slidesTiles(3, 3, 3)
      .map((t) => t.slideId === "b" && t.index === 1 ? { ...t, width: 41 } : t);
    const events: SlideEmbedded[] = [];
    const out = await run(
      input,
      new EmbedStream({
        encoder,
        batchSize: 2,
        store,
        onSlideError: "skip",
        onSlide: (e) => events.push(e),
      }),
    );
    assert.deepEqual([...new Set(out.map((e) => e.slideId))], ["a", "c"]);
    assert.deepEqual(events.map((e) => `${e.slideId}:${e.status}`), [
      "a:embedded",
      "b:failed",
      "c:embedded",
    ]);
    const failures = await store.query(
      "SELECT stage, slide, error FROM failures",
    );
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.slide, "b");
    assert.match(String(failures[0]!.error), /41×40×3/);
    assert.deepEqual(
      await store.query(
        "SELECT count(*) AS n FROM embeddings WHERE slide = 'b'",
      ),
      [{ n: 0 }],
    );
  } finally {
    await encoder.close();
    store.close();
  }
});

Deno.test("EmbedStream() rejects tiles of a slide that come back after another slide", async () => {
  const encoder = await tinyEncoder();
  try {
    const input = [
      ...tiles("a", 2, 1),
      ...tiles("b", 2, 2),
      ...tiles("a", 1, 3),
    ];
    await assert.rejects(
      run(input, new EmbedStream({ encoder })),
      /slide a arrived after that slide's tiles ended/,
    );
  } finally {
    await encoder.close();
  }
});

Deno.test("EmbedStream() rejects a batch size that is not a positive integer", async () => {
  const encoder = await tinyEncoder();
  try {
    assert.throws(
      () => new EmbedStream({ encoder, batchSize: 0 }),
      /batchSize must be a positive integer: current value is 0/,
    );
  } finally {
    await encoder.close();
  }
});
