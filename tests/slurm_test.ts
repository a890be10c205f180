/**
 * Sharding on a real Slurm cluster: a one-node cluster (testing/slurm_cluster.ts)
 * runs deploy/slurm/tile_embed.sbatch as a 4-task array over an 8-slide
 * synthetic cohort, then deploy/slurm/merge.sbatch as a job depending on
 * it; the merged store must equal the store one process writes from the
 * same slides. Then a tiny experiment as a 4-task array
 * (deploy/slurm/experiment_step.sbatch to plan, train_grid.sbatch for the
 * tasks, experiment_step.sbatch to collect): its table must equal one
 * process's. Skips where Slurm is not installed (required under CI).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSyntheticCohort } from "../data/synthetic/cohort.ts";
import { asmil } from "../testing/asmil_process.ts";
import { shardOf } from "../core/shard.ts";
import { needs, systemLibsRequired } from "../testing/system_libs.ts";
import {
  type SlurmCluster,
  startSlurmCluster,
} from "../testing/slurm_cluster.ts";
import { storeContents } from "../testing/store_contents.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const TASKS = 4;

function slurmTest(): { ignore: boolean } {
  if (needs("slurm-wlm", "sharded tile+embed on a Slurm cluster").ignore) {
    return { ignore: true };
  }
  if (Deno.uid() !== 0 && !systemLibsRequired()) {
    console.error(
      "skipped: not root (the test Slurm cluster runs its daemons as root)",
    );
    return { ignore: true };
  }
  return { ignore: false };
}

async function jobOutputs(dir: string): Promise<string> {
  const parts: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    parts.push(`--- ${e.name}\n${await Deno.readTextFile(join(dir, e.name))}`);
  }
  return parts.join("\n");
}

Deno.test({
  name:
    "a 4-task Slurm array tiles and embeds an 8-slide cohort in shards, a dependent job merges them, and the merged store equals one process's",
  ...slurmTest(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-slurm-test-" });
    // Jobs run as root in this folder; the daemons need to traverse it.
    await Deno.chmod(dir, 0o755);
    let cluster: SlurmCluster | undefined;
    try {
      const cohort = await writeSyntheticCohort({
        outDir: join(dir, "slides"),
        slides: 8,
        seed: 21,
        sides: [1024],
      });
      const ids = cohort.slides.map((s) => s.id);
      const counts = Array.from(
        { length: TASKS },
        (_, i) => ids.filter((id) => shardOf(id, TASKS) === i).length,
      );
      await Deno.mkdir(join(dir, "runs"));
      await Deno.mkdir(join(dir, "out"));
      const db = join(dir, "runs", "cohort.duckdb");
      cluster = await startSlurmCluster();
      const env = {
        ASMIL_HOME: REPO,
        DENO: Deno.execPath(),
        SLIDES: cohort.dir,
        ASMIL_DB: db,
        TILE_ARGS: "--min-tissue 0.3",
      };
      const common = [
        "--parsable",
        "--wait",
        `--chdir=${dir}`,
        "--cpus-per-task=1",
        "--mem=1G",
      ];
      const array = await cluster.client("sbatch", [
        ...common,
        `--array=0-${TASKS - 1}`,
        `--output=${dir}/out/tile-embed-%A_%a.out`,
        join(REPO, "deploy/slurm/tile_embed.sbatch"),
      ], { env, timeoutMs: 480_000 });
      const arrayId = array.stdout.trim().split(";")[0] ?? "";
      if (array.code !== 0 || !/^\d+$/.test(arrayId)) {
        throw new Error(
          `the array job failed (${array.code}): ${array.stderr}\n${await jobOutputs(
            join(dir, "out"),
          )}\n${await cluster.logs()}`,
        );
      }
      for (let i = 0; i < TASKS; i++) {
        const shard = join(dir, "runs", `cohort.shard-${i}-of-${TASKS}.duckdb`);
        const c = await storeContents(shard);
        assert.equal(c.slides.length, counts[i], `slides in shard ${i}`);
      }
      const merge = await cluster.client("sbatch", [
        ...common,
        `--dependency=afterok:${arrayId}`,
        "--kill-on-invalid-dep=yes",
        `--output=${dir}/out/merge-%j.out`,
        join(REPO, "deploy/slurm/merge.sbatch"),
      ], { env, timeoutMs: 120_000 });
      const outputs = await jobOutputs(join(dir, "out"));
      assert.equal(merge.code, 0, `merge job: ${merge.stderr}\n${outputs}`);
      assert.match(
        outputs,
        new RegExp(
          `merged ${TASKS} shard stores into .*cohort\\.duckdb .*: 8 slides, \\d+ tiles, \\d+ embeddings`,
        ),
      );

      const single = join(dir, "runs", "single.duckdb");
      for (
        const args of [
          ["tile", "--slides", cohort.dir, "--min-tissue", "0.3"],
          ["embed"],
        ]
      ) {
        const r = await asmil(["--quiet", "--db", single, ...args]);
        assert.equal(r.code, 0, r.stderr);
      }
      const want = await storeContents(single);
      assert.equal(want.slides.length, 8);
      assert.ok(want.embeddings.length > 0);
      assert.deepEqual(await storeContents(db), want);
    } finally {
      await cluster?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A tiny experiment: 2 models (5 configurations) × 2 seeds, 3 epochs. */
const EXPERIMENT = [
  "--data features --bags 20 --instances 24 --dim 12 --witness-fraction 0.2",
  "--seeds 2 --epochs 3 --lr 0.001 --models abmil,asmil --name t",
  '--model-options {"abmil":{"innerDim":16,"attentionDim":8},"asmil":{"innerDim":16,"nToken":4,"nDrop":2}}',
].join(" ");

Deno.test({
  name:
    "an experiment as a 4-task Slurm array (a plan job, the array, a dependent collect job) writes the same table as one process",
  ...slurmTest(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-slurm-experiment-" });
    await Deno.chmod(dir, 0o755);
    let cluster: SlurmCluster | undefined;
    try {
      for (const d of ["one", "runs", "out"]) await Deno.mkdir(join(dir, d));
      // Each task trains with one BLAS thread; so does the reference.
      const single = await asmil([
        "--quiet",
        "--db",
        join(dir, "one", "asmil.duckdb"),
        "experiment",
        ...EXPERIMENT.split(" "),
        "--threads",
        "1",
      ]);
      assert.equal(single.code, 0, single.stderr);

      const db = join(dir, "runs", "asmil.duckdb");
      cluster = await startSlurmCluster();
      const env = {
        ASMIL_HOME: REPO,
        DENO: Deno.execPath(),
        ASMIL_DB: db,
        EXPERIMENT,
      };
      const common = [
        "--parsable",
        "--wait",
        `--chdir=${dir}`,
        "--cpus-per-task=1",
        "--mem=1G",
      ];
      const submit = async (
        args: string[],
        step?: string,
      ): Promise<string> => {
        const r = await cluster!.client("sbatch", [...common, ...args], {
          env: step ? { ...env, STEP: step } : env,
          timeoutMs: 480_000,
        });
        const id = r.stdout.trim().split(";")[0] ?? "";
        if (r.code !== 0 || !/^\d+$/.test(id)) {
          throw new Error(
            `sbatch ${
              args.at(-1)
            } failed (${r.code}): ${r.stderr}\n${await jobOutputs(
              join(dir, "out"),
            )}\n${await cluster!.logs()}`,
          );
        }
        return id;
      };
      const step = join(REPO, "deploy/slurm/experiment_step.sbatch");
      const plan = await submit(
        [`--output=${dir}/out/plan-%j.out`, step],
        "plan",
      );
      const array = await submit([
        `--dependency=afterok:${plan}`,
        `--array=0-${TASKS - 1}`,
        `--output=${dir}/out/task-%A_%a.out`,
        join(REPO, "deploy/slurm/train_grid.sbatch"),
      ]);
      for (let i = 0; i < TASKS; i++) {
        const task = join(
          dir,
          "runs",
          `asmil.exp-t.task-${i}-of-${TASKS}.duckdb`,
        );
        assert.ok((await Deno.stat(task)).isFile, task);
      }
      await submit([
        `--dependency=afterok:${array}`,
        "--kill-on-invalid-dep=yes",
        `--output=${dir}/out/collect-%j.out`,
        step,
      ], "collect");
      const outputs = await jobOutputs(join(dir, "out"));
      assert.match(outputs, /10 runs collected \(10 merged now from 4 task/);
      for (const file of ["table.csv", "intervals.csv", "differences.csv"]) {
        assert.equal(
          await Deno.readTextFile(join(dir, "runs", "experiments", "t", file)),
          await Deno.readTextFile(join(dir, "one", "experiments", "t", file)),
          `${file}\n${outputs}`,
        );
      }
    } finally {
      await cluster?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
