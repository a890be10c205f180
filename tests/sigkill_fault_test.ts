/**
 * Crash recovery, end to end: `asmil tile`, `embed`, `train` and
 * `experiment` are each killed with SIGKILL at several seeded points of
 * their work, rerun after every kill, and finally run to the end; the store
 * must then equal that of one uninterrupted run, table by table (row counts
 * and SHA-256 of the rows: slides, tiles, encoders, embeddings, failures,
 * runs, epochs, attention, predictions, metrics), and the experiment's
 * results table must be the same file.
 *
 * Kill points are WAL growth (see testing/killed_run.ts): past what a
 * rerun of the finished command writes, a seeded fraction of the work still
 * to do, then a seeded delay of up to 3/4 of a slide's or an epoch's time, so
 * kills fall inside the work rather than in start-up. After each kill the
 * work committed is counted in a copy of the store; at least one kill of
 * each command must leave it part done. A rerun of each finished command
 * must leave its store as it was. ASMIL_FAULT_SEED picks other points
 * (default 15).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../data/store.ts";
import { tileArgs, tinyCohort } from "../testing/tiny_cohort.ts";
import { tinyExperimentArgs } from "../testing/tiny_experiment.ts";
import { Rng } from "../core/random.ts";
import { asmilKilledAt } from "../testing/killed_run.ts";
import { RUN_TABLES, runContents } from "../testing/run_contents.ts";

const SEED = Number(Deno.env.get("ASMIL_FAULT_SEED") ?? 15);
const KILLS = 3;
const EPOCHS = { unit: "epochs", sql: "SELECT count(*) FROM epochs" };

/** What one command's fault check saw, for the assertions and messages. */
interface FaultLog {
  attempts: string[];
  /** Kills that left some but not all of the work committed. */
  partial: number;
}

/** How far a command got: a query counting its finished units of work. */
interface Work {
  unit: string;
  sql: string;
}

async function count(db: string, sql: string): Promise<number> {
  const store = await openStore(db, { readOnly: true });
  try {
    const [row] = await store.query(sql);
    return Number(Object.values(row!)[0]);
  } finally {
    store.close();
  }
}

/**
 * Counts `work` in a copy of a killed run's store (with its WAL, replayed
 * on open), leaving the store itself as the kill left it.
 */
async function workDone(db: string, work: Work): Promise<number> {
  const probe = await Deno.makeTempDir({ prefix: "asmil-sigkill-probe-" });
  try {
    const copy = join(probe, "s.duckdb");
    await Deno.copyFile(db, copy);
    await Deno.copyFile(`${db}.wal`, `${copy}.wal`).catch(() => {});
    (await openStore(copy)).close();
    return await count(copy, work.sql);
  } finally {
    await Deno.remove(probe, { recursive: true });
  }
}

/**
 * Runs `args` once into `a` and, killed {@link KILLS} times (more while no
 * kill has cut the work) then finished, into `b` (both stores start as
 * copies of `start`, when given); asserts the two stores hold the same rows,
 * and that a rerun of a finished command changes nothing.
 */
async function faultCheck(
  rng: Rng,
  dir: string,
  args: string[],
  work: Work,
  start?: string,
): Promise<FaultLog> {
  const [dirA, dirB] = [join(dir, "a"), join(dir, "b")];
  const [a, b] = [join(dirA, "s.duckdb"), join(dirB, "s.duckdb")];
  for (const [d, db] of [[dirA, a], [dirB, b]] as const) {
    await Deno.mkdir(d, { recursive: true });
    // A new store's schema is written on the first open: done here, so a
    // run's WAL growth past what a rerun writes is its work.
    if (start) await Deno.copyFile(start, db);
    else (await openStore(db)).close();
  }
  // `--out` and the like name the store's folder: the same folder each.
  const withDir = (d: string) => args.map((x) => x.replaceAll("<dir>", d));

  const whole = await asmilKilledAt(a, withDir(dirA));
  assert.equal(whole.code, 0, whole.stderr);
  const total = await count(a, work.sql);
  assert.ok(total > 1, `${args[0]}: ${total} ${work.unit}, too few to cut`);
  const want = await runContents(a, [dirA]);
  // A finished command run again: what opening and skipping write.
  const again = await asmilKilledAt(a, withDir(dirA));
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(
    await runContents(a, [dirA]),
    want,
    `${args[0]} run again on its finished store changed it`,
  );
  const overhead = again.walGrowth;
  const workBytes = whole.walGrowth - overhead;
  assert.ok(workBytes > 0, `${args[0]}: the work itself wrote to the store`);
  // A unit's time, from the commits of the uninterrupted run: a delay up to
  // three quarters of it puts the kill inside the unit after the trigger's.
  const commits = whole.trace.filter((p) => p.bytes > overhead);
  const unitMs = ((commits.at(-1)?.ms ?? 0) - (commits[0]?.ms ?? 0)) /
    (total - 1);
  const maxDelayMs = Math.max(1, Math.round(0.75 * unitMs));

  const log: FaultLog = { attempts: [], partial: 0 };
  let done = 0;
  // Up to KILLS more while no kill has cut the work and some is left.
  for (
    let i = 0;
    i < KILLS || (log.partial === 0 && done < total && i < 2 * KILLS);
    i++
  ) {
    const walBytes = overhead +
      workBytes * (1 - done / total) * (0.05 + 0.55 * rng.next());
    const delayMs = rng.int(maxDelayMs);
    const r = await asmilKilledAt(b, withDir(dirB), { walBytes, delayMs });
    if (!r.killed) assert.equal(r.code, 0, r.stderr);
    const before = done;
    done = await workDone(b, work);
    if (r.killed && done > 0 && done < total) log.partial++;
    log.attempts.push(
      `${r.killed ? "killed" : `exited ${r.code}`} at WAL +${r.walGrowth} B ` +
        `(point ${Math.round(walBytes)} B + ${delayMs} ms): ` +
        `${before} → ${done}/${total} ${work.unit}`,
    );
  }
  const rerun = await asmilKilledAt(b, withDir(dirB));
  assert.equal(rerun.code, 0, `${log.attempts.join("\n")}\n${rerun.stderr}`);

  const got = await runContents(b, [dirB]);
  for (const name of RUN_TABLES) {
    const [w, g] = [want[name], got[name]];
    if (w.sha256 === g.sha256) continue;
    const differs = w.lines.findIndex((l, k) => g.lines[k] !== l);
    const i = differs === -1 ? w.rows : differs;
    assert.fail(
      `${
        args[0]
      } (seed ${SEED}): table ${name} differs from the uninterrupted run's after\n${
        log.attempts.join("\n")
      }\n${w.rows} rows vs ${g.rows}; first difference at row ${i}:\n` +
        `  uninterrupted ${w.lines[i]?.slice(0, 400)}\n` +
        `  resumed       ${g.lines[i]?.slice(0, 400)}`,
    );
  }
  assert.ok(
    log.partial > 0,
    `${args[0]}: no kill left the work part done:\n${log.attempts.join("\n")}`,
  );
  return log;
}

Deno.test({
  name:
    "tile, embed, train and experiment killed with SIGKILL at seeded points and rerun leave the store an uninterrupted run leaves",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "asmil-sigkill-" });
    const rng = new Rng(SEED);
    const report = (name: string, log: FaultLog) =>
      console.error(
        `${name} (seed ${SEED}): ${log.partial}/${log.attempts.length} kills left it part done\n  ${
          log.attempts.join("\n  ")
        }`,
      );
    try {
      const cohort = await tinyCohort({ slides: 6, sides: [1024, 1536] });
      const tiled = join(root, "tile", "a", "s.duckdb");
      const embedded = join(root, "embed", "a", "s.duckdb");

      await t.step("tile", async () => {
        const log = await faultCheck(
          rng,
          join(root, "tile"),
          tileArgs(cohort.dir),
          {
            unit: "slides tiled",
            sql: "SELECT count(*) FROM slides WHERE status = 'tiled'",
          },
        );
        report("tile", log);
        assert.equal(
          await count(
            tiled,
            "SELECT count(*) FROM slides WHERE status = 'tiled'",
          ),
          6,
        );
      });

      await t.step("embed", async () => {
        const log = await faultCheck(
          rng,
          join(root, "embed"),
          ["embed", "--batch-size", "4", "--threads", "1"],
          {
            unit: "slides embedded",
            sql: "SELECT count(DISTINCT slide) FROM embeddings",
          },
          tiled,
        );
        report("embed", log);
        assert.equal(
          await count(embedded, "SELECT count(*) FROM embeddings"),
          await count(tiled, "SELECT count(*) FROM tiles"),
        );
      });

      await t.step("train", async () => {
        const dir = join(root, "train");
        const log = await faultCheck(
          rng,
          dir,
          [
            "train",
            "--model",
            "abmil",
            "--model-options",
            '{"innerDim":16,"attentionDim":8}',
            "--epochs",
            "6",
            "--lr",
            "0.001",
            "--folds",
            "3",
            "--run",
            "r",
            "--record-train-attention",
            "--threads",
            "1",
          ],
          EPOCHS,
          embedded,
        );
        report("train", log);
        const db = join(dir, "a", "s.duckdb");
        assert.equal(await count(db, "SELECT count(*) FROM epochs"), 6);
        assert.equal(
          await count(db, "SELECT count(*) FROM attention_history"),
          6 * 6,
        );
      });

      await t.step("experiment", async () => {
        const dir = join(root, "experiment");
        const log = await faultCheck(rng, dir, [
          ...tinyExperimentArgs({ bags: 16, seeds: 1 }),
          "--out",
          "<dir>/out",
          "--no-report",
          "--threads",
          "1",
        ], EPOCHS);
        report("experiment", log);
        assert.equal(
          await count(
            join(dir, "a", "s.duckdb"),
            "SELECT count(*) FROM runs WHERE status = 'finished'",
          ),
          5,
        );
        assert.equal(
          await Deno.readTextFile(join(dir, "b", "out", "table.csv")),
          await Deno.readTextFile(join(dir, "a", "out", "table.csv")),
          "the results table",
        );
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
