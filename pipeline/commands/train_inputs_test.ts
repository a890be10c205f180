/**
 * `asmil train` refuses labels and splits that do not fit the store, before
 * anything is recorded: a class spelt two ways, slides the store lacks
 * (unless --allow-missing), a k-fold split with too few slides of a class.
 */
import assert from "node:assert/strict";
import { asmil } from "./_asmil_process.ts";

async function cohort(): Promise<{ dir: string; db: string; ids: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "asmil-inputs-" });
  const db = `${dir}/s.duckdb`;
  const made = await asmil([
    "--db",
    db,
    "--quiet",
    "synth-features",
    "--out-store",
    db,
    "--slides",
    "12",
    "--min-tiles",
    "20",
    "--max-tiles",
    "30",
    "--dim",
    "8",
  ]);
  assert.equal(made.code, 0, made.stderr);
  const ids = (await asmil([
    "--db",
    db,
    "sql",
    "--format",
    "csv",
    "select id from slides order by id",
  ])).stdout.trim().split("\n").slice(1);
  return { dir, db, ids };
}

async function runCount(db: string): Promise<string> {
  return (await asmil([
    "--db",
    db,
    "sql",
    "--format",
    "csv",
    "select count(*) as n from runs",
  ])).stdout;
}

function labelsCsv(rows: [string, string][]): string {
  return `slide_id,label\n${rows.map((r) => r.join(",")).join("\n")}\n`;
}

Deno.test("train refuses a class spelt two ways, and slides the labels or split name but the store lacks", async () => {
  const { dir, db, ids } = await cohort();
  const before = await runCount(db);
  const train = (...extra: string[]) =>
    asmil(["--db", db, "train", "--model", "abmil", "--epochs", "1", ...extra]);

  const typo = `${dir}/typo.csv`;
  await Deno.writeTextFile(
    typo,
    labelsCsv(
      ids.map((id, i) => [id, i === 0 ? "tumor" : i % 2 ? "tumour" : "normal"]),
    ),
  );
  let r = await train("--labels", typo);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /classes "tumor" and "tumour" look like one class spelt two ways.*normal \(5\), tumor \(1\), tumour \(6\)/,
  );

  const extra = `${dir}/extra.csv`;
  await Deno.writeTextFile(
    extra,
    labelsCsv([...ids.map((id, i) => [id, String(i % 2)] as [string, string]), [
      "ghost",
      "1",
    ]]),
  );
  r = await train("--labels", extra);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /names 1 slide\(s\) with no embeddings .*"ghost".*--allow-missing/,
  );

  const split = `${dir}/split.json`;
  await Deno.writeTextFile(
    split,
    JSON.stringify({
      train_names: ids.slice(0, 8),
      val_names: ids.slice(8, 10),
      test_names: [...ids.slice(10), "ghost"],
    }),
  );
  r = await train("--split", split);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /split\.json names 1 slide\(s\) with no embeddings .*"ghost"/,
  );
  assert.equal(await runCount(db), before, "nothing recorded by a refusal");

  r = await train("--labels", extra, "--allow-missing");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*"ghost".*training without them/);
  assert.match(r.stderr, /classes from .*extra\.csv: 0 → 0, 1 → 1/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a k-fold split with fewer slides of a class than folds is refused with the counts", async () => {
  const { dir, db } = await cohort();
  const cleared = await asmil([
    "--db",
    db,
    "sql",
    "--write",
    "update slides set split = null",
  ]);
  assert.equal(cleared.code, 0, cleared.stderr);
  const r = await asmil([
    "--db",
    db,
    "train",
    "--model",
    "abmil",
    "--epochs",
    "1",
    "--folds",
    "7",
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /stratified 7-fold split needs at least 7 slides of every class: class 0 has 6, class 1 has 6; use --folds 6 or fewer/,
  );
  await Deno.remove(dir, { recursive: true });
});
