import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { parseConfig } from "../config.ts";
import { fakeSlides, writeFakeRun } from "../../testing/fake_run.ts";
import {
  evaluateCommand,
  parseEpochChoice,
  reportCommand,
  textTable,
} from "./evaluate.ts";

function context(db: string) {
  const notes: string[] = [];
  return {
    notes,
    ctx: {
      config: parseConfig({}, "defaults"),
      openStore: () => Store.open(db),
      info: (message: string) => void notes.push(message),
    },
  };
}

async function quietly<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; out: string }> {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    return { result: await fn(), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

Deno.test("parseEpochChoice() accepts last, best and epoch numbers from 1, returned from 0 as stored", () => {
  assert.equal(parseEpochChoice("last"), "last");
  assert.equal(parseEpochChoice("3"), 2);
  assert.equal(parseEpochChoice("1"), 0);
  assert.throws(() => parseEpochChoice("0"), /from 1 \(the first epoch\)/);
  assert.throws(() => parseEpochChoice("-1"), /current value is "-1"/);
  assert.throws(() => parseEpochChoice("first"), /current value is "first"/);
});

Deno.test("textTable() pads columns to their widest cell", () => {
  assert.equal(
    textTable({ head: ["a", "bb"], rows: [["ccc", "d"]] }),
    "a    bb\n---  --\nccc  d",
  );
});

Deno.test("evaluateCommand() and reportCommand() work on a store file and print their results", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `${dir}/runs.duckdb`;
    const seed = await Store.open(db);
    for (const [run, n] of [["a", 1], ["b", 2]] as const) {
      await writeFakeRun(seed, {
        run,
        slides: fakeSlides(6),
        epochs: 4,
        seed: n,
      });
    }
    seed.close();
    const { ctx, notes } = context(db);
    const evaluated = await quietly(() =>
      evaluateCommand(ctx, "a", { epoch: "3", resamples: 100 })
    );
    // Epoch 3 as people count is stored epoch 2.
    assert.equal(evaluated.result.epoch, 2);
    assert.match(evaluated.out, /run a \(asmil\), metrics at epoch 3/);
    assert.match(evaluated.out, /settling epoch/);
    assert.match(notes[0]!, /stored metrics of a/);
    const reported = await quietly(() =>
      reportCommand(ctx, ["a", "b"], {
        out: `${dir}/report`,
        resamples: 100,
        heatmapSlides: 1,
      })
    );
    assert.equal(reported.result.html, `${dir}/report/report.html`);
    assert.ok(reported.out.endsWith(`${dir}/report/report.html`));
    await Deno.stat(reported.result.markdown);
    // Metrics of both runs are in the store afterwards.
    const store = await Store.open(db);
    const [row] = await store.query(
      "SELECT count(DISTINCT run) AS n FROM metrics WHERE name = 'auc'",
    );
    assert.equal(row!.n, 2);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
