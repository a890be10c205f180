/**
 * `asmil tile` on inputs a user gets wrong: new labels for slides already
 * tiled are applied and counted (not silently dropped with the skip), and a
 * folder that looks like a slide is listed as skipped with the reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { asmil, asmilOk, asmilSql } from "../../testing/asmil_process.ts";
import { tempDirTest } from "../../testing/temp_dir.ts";
import {
  tileArgs,
  tinyCohort,
  writeTinyCohort,
} from "../../testing/tiny_cohort.ts";

const TILES_DIGEST =
  "select count(*) as n, sum(hash(slide, tile, x, y, size, level, tissue, label)) as h from tiles";

tempDirTest(
  "asmil tile --labels on a tiled store updates the stored labels and says how many changed, leaving the tiles as they were",
  async (dir) => {
    const cohort = await tinyCohort({ slides: 2 });
    const db = join(dir, "run.duckdb");
    const tile = (...extra: string[]) =>
      asmil(["--db", db, ...tileArgs(cohort.dir, ...extra)]);
    const first = await tile();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 tiled.*labels updated on 0/);
    const tiles = await asmilSql(db, TILES_DIGEST);

    const [a, b] = cohort.slides;
    const flipped = join(dir, "flipped.csv");
    await Deno.writeTextFile(
      flipped,
      `slide_id,label,split\n${a!.id},${1 - a!.label},test\n${b!.id},${
        b!.label
      },train\n`,
    );
    const again = await tile("--labels", flipped);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /2 skipped.*labels updated on 2\)/);
    assert.match(
      again.stderr,
      new RegExp(
        `labels updated for "${a!.id}": label ${a!.label} → ${
          1 - a!.label
        }, split none → test`,
      ),
    );
    assert.match(
      again.stderr,
      new RegExp(`labels updated for "${b!.id}": split none → train`),
    );
    assert.equal(
      await asmilSql(db, "select id, label, split from slides order by id"),
      `id,label,split\n${a!.id},${1 - a!.label},test\n${b!.id},${
        b!.label
      },train\n`,
    );
    assert.equal(await asmilSql(db, TILES_DIGEST), tiles, "tiles untouched");

    const same = await tile("--labels", flipped);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /labels updated on 0\)/);
  },
);

tempDirTest(
  "asmil tile lists a folder named like a slide as skipped, with the reason, and tiles the slides beside it",
  async (dir) => {
    const cohort = await writeTinyCohort(join(dir, "slides"), { slides: 1 });
    await Deno.mkdir(join(cohort.dir, "x.svs"));
    const db = join(dir, "run.duckdb");
    for (const quiet of [[], ["--quiet"]]) {
      const r = await asmilOk([
        "--db",
        db,
        ...quiet,
        ...tileArgs(cohort.dir),
      ]);
      assert.match(
        r.stderr,
        new RegExp(
          `tile: skipped ${
            join(cohort.dir, "x.svs")
          }: a folder, not a slide file`,
        ),
      );
      assert.match(r.stdout, /from 1 slides .*, 1 not slide files;/);
    }
    assert.equal(
      await asmilSql(db, "select id from slides"),
      `id\n${cohort.slides[0]!.id}\n`,
    );
  },
);

tempDirTest(
  "asmil embed reads the tiles the store has, whatever options tile was given, and leaves them as they were",
  async (dir) => {
    const cohort = await tinyCohort({ slides: 1 });
    const db = join(dir, "run.duckdb");
    // Not the default minimum tissue (0.5): the grid keeps more tiles.
    await asmilOk(["--db", db, ...tileArgs(cohort.dir)]);
    const tiles = await asmilSql(db, TILES_DIGEST);
    const params = await asmilSql(db, "select tile_params from slides");
    await asmilOk(["--db", db, "embed"]);
    assert.equal(await asmilSql(db, TILES_DIGEST), tiles, "tiles untouched");
    assert.equal(
      await asmilSql(db, "select tile_params from slides"),
      params,
    );
    assert.equal(
      await asmilSql(
        db,
        "select (select count(*) from embeddings) = (select count(*) from tiles) as every_tile",
      ),
      "every_tile\ntrue\n",
    );
  },
);
