import assert from "node:assert/strict";
import { featureBags } from "../../data/feature_bags.ts";
import { createModel } from "../../models/all.ts";
import { useBackendFromEnv } from "../../models/backend/mod.ts";
import { TrainStream } from "./train_stream.ts";

await useBackendFromEnv({ quiet: true });

Deno.test("TrainStream() waits for every bag, then emits one event per epoch", async () => {
  const bags = featureBags({ count: 12, dim: 8, seed: 2 });
  let seen = 0;
  const events = await Array.fromAsync(
    ReadableStream.from(bags).pipeThrough(
      new TrainStream({
        runId: "stream",
        epochs: 2,
        quiet: true,
        model: (b) => {
          seen = b.length;
          return createModel("abmil", {
            inputDim: b[0]!.dim,
            numClasses: 2,
            innerDim: 8,
            attentionDim: 4,
          });
        },
      }),
    ),
  );
  assert.equal(seen, 12);
  assert.deepEqual(events.map((e) => e.epoch), [0, 1]);
});

Deno.test("TrainStream() rejects a slide that arrives twice", async () => {
  const bags = featureBags({ count: 4, dim: 8, seed: 2 });
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([...bags, bags[0]!]).pipeThrough(
        new TrainStream({
          runId: "dup",
          quiet: true,
          model: () => {
            throw new Error("not reached");
          },
        }),
      ),
    ),
    /reached the trainer twice/,
  );
});
