import assert from "node:assert/strict";
import { join } from "node:path";
import { Store } from "../../data/store.ts";
import { commandContext } from "../cli_context.ts";
import {
  cohortOptionsFromFlags,
  parseTumourFraction,
  synthFeatures,
} from "./synth_features_command.ts";
import { asmilOk } from "../../testing/asmil_process.ts";

Deno.test("parseTumourFraction() reads MIN or MIN,MAX and names a bad value", () => {
  assert.deepEqual(parseTumourFraction("0.02"), [0.02, 0.02]);
  assert.deepEqual(parseTumourFraction("0.005, 0.1"), [0.005, 0.1]);
  for (const bad of ["0", "0.1,0.05", "x", "0.01,", "0.01,0.02,0.03", "2"]) {
    assert.throws(
      () => parseTumourFraction(bad),
      new RegExp(`--tumour-fraction must be .*: current value is "${bad}"`),
    );
  }
});

Deno.test("cohortOptionsFromFlags() passes the given flags and the seed, nothing else", () => {
  assert.deepEqual(cohortOptionsFromFlags({}, 3), { seed: 3 });
  assert.deepEqual(
    cohortOptionsFromFlags({
      outH5: "x",
      slides: 10,
      minTiles: 5,
      maxTiles: 9,
      dim: 4,
      margin: 2,
      tumourFraction: [0.01, 0.02],
    }, 0),
    {
      seed: 0,
      slides: 10,
      minTiles: 5,
      maxTiles: 9,
      dim: 4,
      margin: 2,
      minTumourFraction: 0.01,
      maxTumourFraction: 0.02,
    },
  );
});

Deno.test("synthFeatures() asks for an output when none is given", async () => {
  const ctx = await commandContext({ quiet: true });
  await assert.rejects(
    () => synthFeatures(ctx, { slides: 2 }),
    /needs somewhere to write: --out-store <path> .* or --out-h5 <dir>/,
  );
});

Deno.test("asmil synth-features writes a store and .h5 files, quiet with --quiet, and resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-synth-features-" });
  try {
    const db = join(dir, "store", "run.duckdb"), h5 = join(dir, "h5");
    const args = [
      "synth-features",
      "--out-store",
      db,
      "--out-h5",
      h5,
      "--slides",
      "3",
      "--min-tiles",
      "30",
      "--max-tiles",
      "40",
      "--dim",
      "4",
      "--tumour-fraction",
      "0.05,0.1",
      "--seed",
      "2",
    ];
    const quiet = await asmilOk(["--quiet", ...args]);
    assert.equal(quiet.stderr, "");
    const lines = quiet.stdout.trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      /run\.duckdb \(encoder "synthetic-features"\): wrote 3 slides \(\d+ tiles, 4-d\); 0 already present/,
    );
    assert.match(lines[1]!, /wrote 3 slides .*; labels in .*labels\.csv/);
    const files = [...Deno.readDirSync(h5)].map((e) => e.name).sort();
    assert.deepEqual(files, [
      "cohort.json",
      "labels.csv",
      "synthfeat_000.h5",
      "synthfeat_001.h5",
      "synthfeat_002.h5",
    ]);
    const store = await Store.open(db, { readOnly: true });
    try {
      const [row] = await store.query(
        "SELECT count(*) AS n FROM slides",
      );
      assert.equal(Number(row?.n), 3);
    } finally {
      store.close();
    }
    const again = await asmilOk(args);
    assert.match(
      again.stdout,
      /wrote 0 slides \(0 tiles, 4-d\); 3 already present/,
    );
    assert.match(again.stderr, /synth-features: 3 slides/);
    assert.match(again.stderr, /6\/6 slides/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
