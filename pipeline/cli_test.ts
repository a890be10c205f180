import assert from "node:assert/strict";
import { asmil as runAsmil, asmilSql } from "../testing/asmil_process.ts";

/** `asmil …args` in a child process (see testing/asmil_process.ts). */
const asmil = (...args: string[]) => runAsmil(args);

Deno.test("asmil sql prints a table containing the answer", async () => {
  const r = await asmil("--db", ":memory:", "sql", "select 42 as answer");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /│ answer │/);
  assert.match(r.stdout, /│ 42 +│/);
});

Deno.test("asmil sql exits non-zero with DuckDB's message and no stack trace", async () => {
  const r = await asmil("--db", ":memory:", "sql", "selec 42");
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /asmil: Parser Error: syntax error at or near "selec"/,
  );
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  assert.equal(r.stdout, "");
});

Deno.test("asmil sql --format json prints valid JSON", async () => {
  const r = await asmil(
    "--db",
    ":memory:",
    "sql",
    "--format",
    "json",
    "select 1 as a, 'x' as b, [0.5]::FLOAT[] as f, 2::BIGINT as n",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ a: 1, b: "x", f: [0.5], n: 2 }]);
});

Deno.test("asmil sql reads a store written before and its macros", async () => {
  const db = `${await Deno.makeTempDir()}/r.duckdb`;
  const insert =
    "insert into slides (id, path) values ('s1', '/a.tiff') returning id";
  const refused = await asmil("--db", db, "sql", insert);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /No run store at .*add --write to create one/);
  const w = await asmil("--db", db, "sql", "--write", insert);
  assert.equal(w.code, 0, w.stderr);
  const drop = await asmil("--db", db, "sql", "drop table slides");
  assert.equal(drop.code, 1);
  assert.match(drop.stderr, /read-only; add --write to change it/);
  assert.equal(
    await asmilSql(
      db,
      "select id, round(js_divergence([1.0, 0.0], [0.0, 1.0]), 4) as js from slides",
    ),
    "id,js\ns1,0.6931\n",
  );
});

Deno.test("asmil rejects a configuration file with an unknown key, naming it", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ train: { epoch: 3 } }));
  const r = await asmil(
    "--config",
    path,
    "--db",
    ":memory:",
    "sql",
    "select 1",
  );
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown key "train\.epoch"/);
});

Deno.test("out-of-range options, unknown model options and a missing --db folder are refused, and the store is left as it was", async () => {
  const dir = await Deno.makeTempDir();
  const db = `${dir}/r.duckdb`;
  const runs = () => asmilSql(db, "select count(*) n from runs");
  const made = await asmil("--db", db, "sql", "--write", "select 1");
  assert.equal(made.code, 0, made.stderr);
  const before = await runs();
  for (
    const [args, message] of [
      [
        ["train", "--epochs", "0"],
        /--epochs must be ≥ 1: current value is "0"/,
      ],
      [["train", "--epochs", "-1"], /--epochs must be ≥ 1/],
      [["train", "--lr", "-1"], /--lr must be > 0: current value is "-1"/],
      [["train", "--threads", "0"], /--threads must be ≥ 1/],
      [
        [
          "train",
          "--data",
          "generated",
          "--model",
          "abmil",
          "--model-options",
          '{"nToken":4}',
        ],
        /Model "abmil" has no option "nToken": its options are attentionDim, innerDim/,
      ],
    ] as const
  ) {
    const r = await asmil("--db", db, ...args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(await runs(), before, "no run was recorded");
  const missing = await asmil(
    "--db",
    `${dir}/no/such/x.duckdb`,
    "sql",
    "--write",
    "select 1",
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /its folder ".*no\/such" does not exist/);
  await assert.rejects(Deno.stat(`${dir}/no`), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});
