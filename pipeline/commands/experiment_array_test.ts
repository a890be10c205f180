import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../cli.ts";
import { commandContext } from "../cli_context.ts";
import { asmil } from "../../testing/asmil_process.ts";
import { tempDirTest } from "../../testing/temp_dir.ts";
import {
  tinyExperiment,
  tinyExperimentArgs,
} from "../../testing/tiny_experiment.ts";
import { runExperimentTask, taskStorePath } from "./experiment_array.ts";

const TASKS = 4;

/** A tiny grid: 2 models (5 configurations) × 2 seeds, 3 epochs. */
const GRID = tinyExperimentArgs();

async function read(path: string): Promise<string> {
  return await Deno.readTextFile(path);
}

tempDirTest(
  "asmil experiment as 4 tasks (--plan, --task i/4 in separate processes, --collect) writes the same table, intervals and differences as one process",
  async (dir) => {
    await Deno.mkdir(join(dir, "one"));
    await Deno.mkdir(join(dir, "array"));
    const single = join(dir, "one", "asmil.duckdb");
    assert.equal(
      await main([
        "--db",
        single,
        "--quiet",
        ...GRID,
        "--out",
        join(dir, "one", "out"),
      ]),
      0,
    );

    const db = join(dir, "array", "asmil.duckdb");
    const out = join(dir, "array", "out");
    const args = ["--db", db, "--quiet", ...GRID, "--out", out];

    // A task before --plan: no store to read the data from.
    const early = await asmil([...args, "--task", "0/4"]);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /does not exist: run .*experiment --plan/);

    const plan = await asmil([...args, "--plan"]);
    assert.equal(plan.code, 0, plan.stderr);
    const listed = plan.stdout.trim().split("\n").slice(1);
    assert.equal(listed.length, 10);
    assert.deepEqual(
      listed.map((l) => l.split("\t")[0]),
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    assert.match(listed[2]!, /^2\texp\.t\.asmil\.ema\.s0\.f0\tto train$/);
    const planOfTask = await asmil([...args, "--plan", "--task", "3/4"]);
    assert.deepEqual(
      planOfTask.stdout.trim().split("\n").slice(1).map((l) =>
        l.split("\t")[0]
      ),
      ["3", "7"],
    );

    // Three tasks at once (each reads the main store read-only), then a
    // collect that must refuse: task 3's runs are missing.
    const tasks = await Promise.all(
      [0, 1, 2].map((i) => asmil([...args, "--task", `${i}/${TASKS}`])),
    );
    for (const [i, t] of tasks.entries()) {
      assert.equal(t.code, 0, `task ${i}: ${t.stderr}`);
      assert.match(
        t.stdout,
        new RegExp(
          `task ${i}/4: ${i < 2 ? 3 : 2} runs \\(${i < 2 ? 3 : 2} trained`,
        ),
      );
    }
    const refused = await asmil([...args, "--collect"]);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /Cannot collect experiment t: 2 of its 10 runs are not finished .* after merging 3 task store\(s\): 3 exp\.t\.asmil\.released\.s0\.f0 \(task 3\/4\), 7 exp\.t\.asmil\.ema\.s1\.f0 \(task 3\/4\)/,
    );
    const last = await asmil(
      [...args, "--task", `3/${TASKS}`],
    );
    assert.equal(last.code, 0, last.stderr);
    assert.equal(await main([...args, "--collect"]), 0);

    for (const file of ["table.csv", "intervals.csv", "differences.csv"]) {
      assert.equal(
        await read(join(out, file)),
        await read(join(dir, "one", "out", file)),
        file,
      );
    }
    assert.equal(
      await read(join(out, "table.md")),
      await read(join(dir, "one", "out", "table.md")),
    );
    assert.ok((await Deno.stat(join(out, "stability.png"))).size > 1000);
    assert.ok(
      (await Deno.stat(join(out, "report/report.html"))).size > 10_000,
    );

    // A task run again after the collect finds its runs in the main store.
    const ctx = await commandContext({ db, quiet: true });
    ctx.config.train.lr = 0.001;
    const again = await runExperimentTask(ctx, {
      ...tinyExperiment(),
      outDir: out,
    }, { index: 1, count: TASKS });
    assert.equal(again.store, taskStorePath(db, "t", { index: 1, count: 4 }));
    assert.deepEqual(
      again.runs.map((r) => `${r.id} ${r.status}`),
      [
        "exp.t.abmil.ema.s0.f0 skipped",
        "exp.t.abmil.none.s1.f0 skipped",
        "exp.t.asmil.none.s1.f0 skipped",
      ],
    );
  },
);
