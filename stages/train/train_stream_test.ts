import assert from "node:assert/strict";
import { featureBags } from "../../data/feature_bags.ts";
import { createModel } from "../../models/all.ts";
import { useBackendFromEnv } from "../../models/backend/mod.ts";
import { memoryBagSource } from "../bag/bag_source.ts";
import { trainModel } from "./trainer.ts";
import { classCount, TrainStream } from "./train_stream.ts";

await useBackendFromEnv({ quiet: true });

const smallModel = (dim: number) =>
  createModel("abmil", {
    inputDim: dim,
    numClasses: 2,
    innerDim: 8,
    attentionDim: 4,
  });

Deno.test("TrainStream() trains each run on the bag source and emits one event per epoch, as trainModel", async () => {
  const bags = featureBags({ count: 12, dim: 8, seed: 2 });
  let seen = 0;
  const events = await Array.fromAsync(
    ReadableStream.from([memoryBagSource(bags)]).pipeThrough(
      new TrainStream([
        {
          runId: "a",
          epochs: 2,
          quiet: true,
          model: (infos) => {
            seen = infos.length;
            return smallModel(infos[0]!.dim);
          },
        },
        (source) => ({
          runId: "b",
          epochs: 1,
          quiet: true,
          model: smallModel(source.infos[0]!.dim),
        }),
      ]),
    ),
  );
  assert.equal(seen, 12);
  assert.deepEqual(events.map((e) => [e.run, e.epoch]), [
    ["a", 0],
    ["a", 1],
    ["b", 0],
  ]);
  const model = smallModel(8);
  const direct = await Array.fromAsync(
    trainModel(model, bags, { runId: "a", epochs: 2, quiet: true }),
  );
  model.dispose();
  assert.deepEqual(
    events.slice(0, 2).map((e) => [e.losses, e.val, e.test]),
    direct.map((e) => [e.losses, e.val, e.test]),
  );
});

Deno.test("TrainStream() errors on a source without training bags", async () => {
  const bags = featureBags({ count: 4, dim: 8, seed: 2 }).map((b) => ({
    ...b,
    split: "val" as const,
  }));
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([memoryBagSource(bags)]).pipeThrough(
        new TrainStream({
          runId: "none",
          quiet: true,
          model: (infos) => smallModel(infos[0]!.dim),
        }),
      ),
    ),
    /Run "none" has no training bags/,
  );
  assert.throws(() => new TrainStream([]), /at least one run/);
  assert.equal(classCount([{ label: 1 }]), 2);
});
