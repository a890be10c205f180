import assert from "node:assert/strict";
import { join } from "node:path";
import { storeContents } from "../../testing/store_contents.ts";
import { shardOf } from "../../core/shard.ts";
import { asmilOk } from "../../testing/asmil_process.ts";
import { tempDirTest } from "../../testing/temp_dir.ts";
import { tileArgs, tinyCohort } from "../../testing/tiny_cohort.ts";
import { writeAcmilFile } from "../../testing/h5_fixtures.ts";

async function run(args: string[]): Promise<string> {
  return (await asmilOk(["--quiet", ...args])).stdout;
}

tempDirTest(
  "tile and embed in 2 shards, then merge: the merged store equals the one a single process writes (same rows, embeddings byte-identical), and a second merge adds nothing",
  async (dir) => {
    const cohort = await tinyCohort({ slides: 4, seed: 11 });
    const ids = cohort.slides.map((s) => s.id);
    const tile = tileArgs(cohort.dir);
    const main = join(dir, "cohort.duckdb");
    for (const shard of ["0/2", "1/2"]) {
      await run(["--db", main, ...tile, "--shard", shard]);
      await run(["--db", main, "embed", "--shard", shard]);
    }
    const shards = [0, 1].map((i) =>
      join(dir, `cohort.shard-${i}-of-2.duckdb`)
    );
    for (const [i, path] of shards.entries()) {
      const mine = ids.filter((id) => shardOf(id, 2) === i);
      const c = await storeContents(path);
      assert.deepEqual(
        c.slides.map((s) => JSON.parse(s).id),
        mine,
        `shard ${i} holds its own slides only`,
      );
    }
    const merged = await run(["--db", main, "merge", ...shards]);
    assert.match(
      merged,
      /merged 2 shard stores into .*: 4 slides, \d+ tiles, \d+ embeddings, 0 runs added; 0 slides were already there/,
    );

    const single = join(dir, "single.duckdb");
    await run(["--db", single, ...tile]);
    await run(["--db", single, "embed"]);

    const want = await storeContents(single);
    const got = await storeContents(main);
    assert.ok(want.embeddings.length > 0, "the cohort has embeddings");
    assert.deepEqual(got, want);

    const again = await run([
      "--db",
      main,
      "merge",
      "--from-glob",
      join(dir, "cohort.*.duckdb"),
    ]);
    assert.match(
      again,
      /: 0 slides, 0 tiles, 0 embeddings, 0 runs added; 4 slides were already there/,
    );
    assert.deepEqual(await storeContents(main), want);
  },
);

tempDirTest(
  "embed --shard on a cohort tiled in one process takes its slides from the main store into its own",
  async (dir) => {
    const cohort = await tinyCohort({ slides: 3, seed: 12 });
    const main = join(dir, "cohort.duckdb");
    await run(["--db", main, ...tileArgs(cohort.dir)]);
    const slurm = { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2" };
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../cli.ts", import.meta.url).pathname,
        "--db",
        main,
        "embed",
      ],
      env: slurm,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, stderr);
    assert.match(
      stderr,
      /shard 1\/2: writing .*cohort\.shard-1-of-2\.duckdb/,
    );
    const mine = cohort.slides.map((s) => s.id).filter((id) =>
      shardOf(id, 2) === 1
    );
    const c = await storeContents(join(dir, "cohort.shard-1-of-2.duckdb"));
    assert.deepEqual(
      [...new Set(c.embeddings.map((e) => e.split(" ")[0]))],
      mine,
    );
  },
);

tempDirTest(
  "import-features in 2 shards, merged, equals one import of the same file",
  async (dir) => {
    const file = join(dir, "cohort.h5");
    const ids = await writeAcmilFile(file, {
      slides: 6,
      tiles: 5,
      dim: 8,
      float16: false,
    });
    const main = join(dir, "feats.duckdb");
    const imported: string[] = [];
    for (const shard of ["0/2", "1/2"]) {
      const out = await run([
        "--db",
        main,
        "import-features",
        file,
        "--format",
        "acmil",
        "--shard",
        shard,
      ]);
      imported.push(out);
    }
    const sizes = [0, 1].map((i) =>
      ids.filter((id) => shardOf(id, 2) === i).length
    );
    assert.match(imported[0]!, new RegExp(`imported ${sizes[0]} slides`));
    assert.match(imported[1]!, new RegExp(`imported ${sizes[1]} slides`));
    await run([
      "--db",
      main,
      "merge",
      "--from-glob",
      join(dir, "feats.shard-*-of-2.duckdb"),
    ]);
    const single = join(dir, "single.duckdb");
    await run(["--db", single, "import-features", file, "--format", "acmil"]);
    const want = await storeContents(single);
    assert.equal(want.embeddings.length, 30);
    assert.deepEqual(await storeContents(main), want);
  },
);
