import assert from "node:assert/strict";
import { csvRecords } from "../../core/csv.ts";
import { Store } from "../../data/store.ts";
import { main } from "../cli.ts";
import { commandContext } from "../cli_context.ts";
import { runExperiment } from "./experiment.ts";
import { experimentConfigurations } from "./experiment_plan.ts";
import { TABLE_MEASURES } from "./experiment_table.ts";
import {
  tinyExperiment,
  tinyExperimentArgs,
} from "../../testing/tiny_experiment.ts";

Deno.test("asmil experiment --data features writes a table with one row of finite numbers per configuration, and a rerun resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-experiment-" });
  const db = `${dir}/asmil.duckdb`;
  const args = [
    "--db",
    db,
    "--quiet",
    ...tinyExperimentArgs(),
    "--anchor-weight",
    "2",
    "--out",
    `${dir}/out`,
  ];
  assert.equal(await main(args), 0);
  const csv = csvRecords(await Deno.readTextFile(`${dir}/out/table.csv`));
  const expected = experimentConfigurations(["abmil", "asmil"]);
  assert.deepEqual(
    csv.map((r) => `${r.model} ${r.anchor}`),
    expected.map((c) => `${c.model} ${c.anchor}`),
  );
  for (const row of csv) {
    assert.equal(row.runs, "2", `${row.model} ${row.anchor}: 2 seeds`);
    for (const m of TABLE_MEASURES) {
      for (const stat of ["mean", "std"]) {
        const v = Number(row[`${m}_${stat}`]);
        assert.ok(
          row[`${m}_${stat}`] !== "" && Number.isFinite(v),
          `${row.model} ${row.anchor} ${m}_${stat} = "${row[`${m}_${stat}`]}"`,
        );
      }
    }
    assert.ok(Number(row.auc_mean) >= 0 && Number(row.auc_mean) <= 1);
  }
  const md = await Deno.readTextFile(`${dir}/out/table.md`);
  assert.equal(
    md.split("\n").filter((l) => /^\| (abmil|asmil) /.test(l)).length,
    5 + 3 + 5, // intervals, paired differences, all measures
  );
  assert.match(md, /Paired differences, anchored − the same model/);
  const differences = csvRecords(
    await Deno.readTextFile(`${dir}/out/differences.csv`),
  );
  assert.deepEqual(
    differences.map((r) => `${r.model} ${r.anchor} ${r.pairs}`),
    ["abmil ema 2", "asmil ema 2", "asmil released 2"],
  );
  for (const r of differences) {
    for (const m of ["auc", "auc_lo", "auc_hi", "js_last_half"]) {
      assert.ok(Number.isFinite(Number(r[m])) && r[m] !== "", `${m} = ${r[m]}`);
    }
    assert.ok(
      Number(r.auc_lo) <= Number(r.auc) && Number(r.auc) <= Number(r.auc_hi),
    );
  }
  const intervals = csvRecords(
    await Deno.readTextFile(`${dir}/out/intervals.csv`),
  );
  assert.equal(intervals.length, 5);
  assert.ok(intervals.every((r) => Number(r.slides) > 0));
  assert.ok((await Deno.stat(`${dir}/out/stability.png`)).size > 1000);
  assert.ok((await Deno.stat(`${dir}/out/report/report.html`)).size > 10_000);

  const store = await Store.open(db, { readOnly: true });
  const runs = await store.query(
    "SELECT id, status FROM runs WHERE starts_with(id, 'exp.t.') ORDER BY id",
  );
  assert.equal(runs.length, 10);
  assert.ok(runs.every((r) => r.status === "finished"));
  const [config] = await store.query(
    "SELECT config->'model'->'options'->'anchor' AS anchor FROM runs WHERE id = 'exp.t.asmil.released.s0.f0'",
  );
  assert.deepEqual(
    JSON.parse(String(config!.anchor)),
    {
      ...JSON.parse(String(config!.anchor)),
      init: "independent",
      update: "frozen",
      weight: 2,
    },
    "the released anchor with --anchor-weight 2",
  );
  const [loc] = await store.query(
    `SELECT count(*) AS n FROM attention_localisation
     WHERE run = 'exp.t.asmil.ema.s1.f0'`,
  );
  assert.ok(Number(loc!.n) > 0, "the localisation view sees the pseudo-slides");
  store.close();

  // Library API, same store and settings: every run is skipped.
  const ctx = await commandContext({ db, quiet: true });
  ctx.config.train.lr = 0.001;
  const again = await runExperiment(ctx, {
    ...tinyExperiment(),
    outDir: `${dir}/out`,
    report: false,
  });
  assert.equal(again.runs.length, 10);
  assert.ok(again.runs.every((r) => r.status === "skipped"));
  assert.deepEqual(
    again.rows.map((r) => r.mean.auc),
    csv.map((r) => Number(r.auc_mean)),
  );
  assert.doesNotMatch(
    await Deno.readTextFile(`${dir}/out/table.md`),
    /more runs of this experiment/,
  );
  // A call with fewer seeds under the same name trains nothing; its tables
  // still cover both seeds' runs, and table.md says so.
  const fewer = await runExperiment(ctx, {
    ...tinyExperiment(),
    seeds: 1,
    outDir: `${dir}/out`,
    report: false,
  });
  assert.ok(fewer.runs.every((r) => r.status === "skipped"));
  assert.ok(fewer.rows.every((r) => r.runs === 2));
  assert.match(
    await Deno.readTextFile(`${dir}/out/table.md`),
    /The store holds more runs of this experiment than this grid's 1 per configuration/,
  );
  await Deno.remove(dir, { recursive: true });
});
