/**
 * `asmil train` refuses labels and splits that do not fit the store, before
 * anything is recorded: a class spelt two ways, slides the store lacks
 * (unless --allow-missing), a k-fold split with too few slides of a class.
 */
import assert from "node:assert/strict";
import { asmil, asmilOk, asmilSql } from "../../testing/asmil_process.ts";

/** A store `db` of 12 synthetic feature slides (20–30 tiles of 8 features). */
async function synthStore(db: string): Promise<void> {
  await asmilOk([
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
}

async function cohort(): Promise<{ dir: string; db: string; ids: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "asmil-inputs-" });
  const db = `${dir}/s.duckdb`;
  await synthStore(db);
  const ids = (await asmilSql(db, "select id from slides order by id"))
    .trim().split("\n").slice(1);
  return { dir, db, ids };
}

async function runCount(db: string): Promise<string> {
  return await asmilSql(db, "select count(*) as n from runs");
}

/** Forgets the stored splits, so train draws k folds. */
async function clearSplits(db: string): Promise<void> {
  await asmilSql(db, "update slides set split = null", { write: true });
}

/** `asmil train` of one ABMIL epoch on `db`, then `extra`. */
function train(db: string, ...extra: string[]) {
  return asmil([
    "--db",
    db,
    "train",
    "--model",
    "abmil",
    "--epochs",
    "1",
    ...extra,
  ]);
}

function labelsCsv(rows: [string, string][]): string {
  return `slide_id,label\n${rows.map((r) => r.join(",")).join("\n")}\n`;
}

Deno.test("train refuses a class spelt two ways, and slides the labels or split name but the store lacks", async () => {
  const { dir, db, ids } = await cohort();
  const before = await runCount(db);

  const typo = `${dir}/typo.csv`;
  await Deno.writeTextFile(
    typo,
    labelsCsv(
      ids.map((id, i) => [id, i === 0 ? "tumor" : i % 2 ? "tumour" : "normal"]),
    ),
  );
  let r = await train(db, "--labels", typo);
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
  r = await train(db, "--labels", extra);
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
  r = await train(db, "--split", split);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /split\.json names 1 slide\(s\) with no embeddings .*"ghost"/,
  );
  assert.equal(await runCount(db), before, "nothing recorded by a refusal");

  r = await train(db, "--labels", extra, "--allow-missing");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*"ghost".*training without them/);
  assert.match(r.stderr, /classes from .*extra\.csv: 0 → 0, 1 → 1/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a k-fold split with fewer slides of a class than folds is refused with the counts", async () => {
  const { dir, db } = await cohort();
  await clearSplits(db);
  const r = await train(db, "--folds", "7");
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /stratified 7-fold split needs at least 7 slides of every class: class 0 has 6, class 1 has 6; use --folds 6 or fewer/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a --run id whose checkpoint belongs to another store in the same folder is refused with the way out", async () => {
  const { dir, db } = await cohort();
  const other = `${dir}/other.duckdb`;
  const copy = `${dir}/copy.duckdb`;
  await Deno.copyFile(db, copy); // same store id, no runs yet
  await synthStore(other);
  const trainR1 = (store: string, ...extra: string[]) =>
    train(store, "--run", "r1", ...extra);
  const first = await trainR1(db);
  assert.equal(first.code, 0, first.stderr);

  let r = await trainR1(other);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Cannot resume run "r1": its checkpoint .*runs\/r1\/checkpoint\.bin \(after epoch 1\) belongs to run store .*\/s\.duckdb, not to .*\/other\.duckdb: give this run another id \(--run\), .*--out.*or delete .*runs\/r1 to train "r1" from the start in this store/,
  );
  assert.doesNotMatch(r.stderr, /resuming/);
  assert.equal(await runCount(other), "n\n0\n", "nothing recorded");

  r = await trainR1(copy);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Cannot resume run "r1": .* is of a run that run store .*\/copy\.duckdb has no record of/,
  );
  assert.equal(await runCount(copy), "n\n0\n", "nothing recorded");

  // The way out the message gives: checkpoints in another folder.
  r = await trainR1(other, "--out", `${dir}/other-runs`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await runCount(other), "n\n1\n");
  // And the run's own store still resumes it (already finished: no epochs).
  r = await trainR1(db);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resuming run r1 after epoch 1\/1/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("training warns when a split has fewer than two slides of a class, and evaluate marks intervals from fewer than five", async () => {
  const { dir, db } = await cohort();
  await clearSplits(db);
  const trainFolds = (folds: string) =>
    train(db, "--folds", folds, "--run", `f${folds}`);
  // 6 slides of each class in 5 folds: val and test hold 1–2 of a class.
  let r = await trainFolds("5");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: fewer than 2 slides of a class in a split \((val|test): \d slides? \(class 0 \d, class 1 \d\).*\): .*best epoch is chosen on noise; use --folds 3 or fewer so each split has at least 2 slides of every class/,
  );
  const warnedAt = r.stderr.indexOf("warning: fewer than 2");
  assert.ok(
    warnedAt >= 0 && warnedAt < r.stderr.indexOf("train f5:"),
    "warned before training",
  );
  const evaluated = await asmil(["--db", db, "evaluate", "f5"]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /^test .*\] †/m);
  assert.match(
    evaluated.stdout,
    /^† not meaningful: fewer than 5 slides of a class \(test: class 0 \d, class 1 \d; val: /m,
  );

  // Epochs a person reads count from 1, in refusals too.
  const late = await asmil(["--db", db, "evaluate", "f5", "--epoch", "9"]);
  assert.equal(late.code, 1);
  assert.match(
    late.stderr,
    /Cannot evaluate run "f5" at epoch 9 \(stored epoch 8\): it has predictions for epochs 1…1 \(stored 0…0; epochs a person reads count from 1\)/,
  );

  r = await trainFolds("3");
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /warning: fewer than 2/);
  await Deno.remove(dir, { recursive: true });
});
