import assert from "node:assert/strict";
import { compose, defineStage, runThrough } from "./stage.ts";
import { BatchStream } from "./batch_stream.ts";
import { ConcurrentMapStream } from "./concurrent_map_stream.ts";

const addOne = defineStage(
  "add-one",
  (_: Record<string, never>) =>
    new TransformStream<number, number>({
      transform: (x, c) => c.enqueue(x + 1),
    }),
);

Deno.test("defineStage() builds a fresh stream per create()", async () => {
  const a = await Array.fromAsync(
    ReadableStream.from([1, 2]).pipeThrough(addOne.create({})),
  );
  const b = await Array.fromAsync(
    ReadableStream.from([5]).pipeThrough(addOne.create({})),
  );
  assert.deepEqual(a, [2, 3]);
  assert.deepEqual(b, [6]);
  assert.equal(addOne.name, "add-one");
});

Deno.test("defineStage() rejects a name that cannot key the store", () => {
  assert.throws(
    () => defineStage("Bad Name", () => new TransformStream()),
    /current value is "Bad Name"/,
  );
});

Deno.test("compose() and runThrough() chain stages in order", async () => {
  const double = () =>
    new TransformStream<number, number>({
      transform: (x, c) => c.enqueue(x * 2),
    });
  const composed = await Array.fromAsync(
    ReadableStream.from([1, 2]).pipeThrough(
      compose(addOne.create({}), double()),
    ),
  );
  assert.deepEqual(composed, [4, 6]);
  const chained = await Array.fromAsync(
    runThrough(ReadableStream.from([1, 2]), double(), addOne.create({})),
  );
  assert.deepEqual(chained, [3, 5]);
});

Deno.test("BatchStream() flushes a final partial batch on close", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from([1, 2, 3, 4, 5]).pipeThrough(new BatchStream(2)),
  );
  assert.deepEqual(out, [[1, 2], [3, 4], [5]]);
});

Deno.test("BatchStream() starts a new batch when the key changes", async () => {
  const tiles = [
    { s: "a", i: 0 },
    { s: "a", i: 1 },
    { s: "a", i: 2 },
    { s: "b", i: 0 },
  ];
  const out = await Array.fromAsync(
    ReadableStream.from(tiles).pipeThrough(
      new BatchStream<{ s: string; i: number }>(2, { key: (t) => t.s }),
    ),
  );
  assert.deepEqual(out.map((b) => b.map((t) => `${t.s}${t.i}`)), [
    ["a0", "a1"],
    ["a2"],
    ["b0"],
  ]);
});

Deno.test("BatchStream() rejects a non-positive size", () => {
  assert.throws(() => new BatchStream(0), /current value is 0/);
});

Deno.test("ConcurrentMapStream() keeps input order and bounds calls in flight", async () => {
  let inFlight = 0, maxInFlight = 0;
  const fn = async (x: number) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, (10 - x) * 2));
    inFlight--;
    return x * x;
  };
  const out = await Array.fromAsync(
    ReadableStream.from([1, 2, 3, 4, 5, 6, 7, 8, 9]).pipeThrough(
      new ConcurrentMapStream(fn, 3),
    ),
  );
  assert.deepEqual(out, [1, 4, 9, 16, 25, 36, 49, 64, 81]);
  assert.equal(maxInFlight, 3);
});

Deno.test("ConcurrentMapStream() errors the stream when a call rejects", async () => {
  const fn = (x: number) =>
    x === 2 ? Promise.reject(new Error("slide 2 failed")) : Promise.resolve(x);
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([1, 2, 3]).pipeThrough(
        new ConcurrentMapStream(fn, 2),
      ),
    ),
    /slide 2 failed/,
  );
});

Deno.test("a slow consumer applies backpressure to the source", async () => {
  let pulled = 0;
  const source = new ReadableStream<number>({
    pull(c) {
      pulled++;
      c.enqueue(pulled);
      if (pulled >= 100) c.close();
    },
  }, { highWaterMark: 1 });
  const reader = source.pipeThrough(new BatchStream(2)).getReader();
  await reader.read();
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(pulled < 20, `pulled ${pulled} chunks for one batch`);
  await reader.cancel();
});
