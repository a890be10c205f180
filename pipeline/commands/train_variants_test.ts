import assert from "node:assert/strict";
import { asmil } from "../../testing/asmil_process.ts";
import { ANCHOR_DEFAULTS, ANCHOR_PRESETS } from "../../models/anchor.ts";

Deno.test("asmil train passes the anchor preset and variant flags, the selection rule and the clip to the run", async () => {
  const dir = await Deno.makeTempDir();
  const db = `${dir}/runs.duckdb`;
  const r = await asmil([
    "--db",
    db,
    "--quiet",
    "train",
    "--data",
    "generated",
    "--model",
    "abmil",
    "--anchor",
    "--anchor-preset",
    "stable",
    "--anchor-warmup",
    "1",
    "--anchor-form",
    "js",
    "--epochs",
    "2",
    "--selection",
    "micro-f1",
    "--clip-norm",
    "none",
    "--run",
    "variants",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const sql = async (query: string) => {
    const out = await asmil(["--db", db, "sql", "--format", "json", query]);
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout) as Record<string, string>[];
  };
  const [run] = await sql("SELECT config FROM runs WHERE id = 'variants'");
  const config = JSON.parse(run!.config!);
  assert.deepEqual(config.train.anchor, {
    preset: "stable",
    warmupEpochs: 1,
    form: "js",
  });
  assert.deepEqual(config.model.options.anchor, {
    ...ANCHOR_DEFAULTS,
    ...ANCHOR_PRESETS.stable,
    warmupEpochs: 1,
    form: "js",
  });
  assert.equal(config.selection, "micro-f1", "recorded for the evaluator");
  assert.equal(config.train.clipNorm, null);
  const epochs = await sql(
    "SELECT epoch, losses FROM epochs WHERE run = 'variants' ORDER BY epoch",
  );
  const anchor = epochs.map((e) => JSON.parse(e.losses!).anchor as number);
  assert.equal(anchor[0], 0, "no anchor term in the warm-up epoch");
  assert.ok(anchor[1]! > 0, `anchor term after the warm-up: ${anchor[1]}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("asmil train refuses a bad preset, clip norm or selection rule, naming the option", async () => {
  for (
    const [args, message] of [
      [["--anchor-preset", "calm"], /--anchor-preset <name>'.*calm/],
      [["--clip-norm", "0"], /--clip-norm must be > 0: current value is "0"/],
      [["--selection", "f1"], /--selection <rule>'.*f1/],
      [["--anchor-warmup", "1.5"], /--anchor-warmup must be an integer/],
    ] as const
  ) {
    const r = await asmil(["--db", ":memory:", "train", ...args]);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
