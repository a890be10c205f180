/**
 * `asmil tile` on inputs a user gets wrong: new labels for slides already
 * tiled are applied and counted (not silently dropped with the skip), and a
 * folder that looks like a slide is listed as skipped with the reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSyntheticCohort } from "../../data/synthetic/cohort.ts";
import { asmil } from "../../testing/asmil_process.ts";

async function sql(db: string, query: string): Promise<string> {
  const r = await asmil(["--db", db, "sql", "--format", "csv", query]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const TILES_DIGEST =
  "select count(*) as n, sum(hash(slide, tile, x, y, size, level, tissue, label)) as h from tiles";

Deno.test({
  name:
    "asmil tile --labels on a tiled store updates the stored labels and says how many changed, leaving the tiles as they were",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-tile-inputs-" });
    try {
      const cohort = await writeSyntheticCohort({
        outDir: join(dir, "slides"),
        slides: 2,
        seed: 4,
        sides: [1024],
      });
      const db = join(dir, "run.duckdb");
      const tile = (...extra: string[]) =>
        asmil([
          "--db",
          db,
          "tile",
          "--slides",
          cohort.dir,
          "--no-qc",
          "--min-tissue",
          "0.3",
          ...extra,
        ]);
      const first = await tile();
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /2 tiled.*labels updated on 0/);
      const tiles = await sql(db, TILES_DIGEST);

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
        await sql(db, "select id, label, split from slides order by id"),
        `id,label,split\n${a!.id},${1 - a!.label},test\n${b!.id},${
          b!.label
        },train\n`,
      );
      assert.equal(await sql(db, TILES_DIGEST), tiles, "tiles untouched");

      const same = await tile("--labels", flipped);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /labels updated on 0\)/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "asmil tile lists a folder named like a slide as skipped, with the reason, and tiles the slides beside it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-tile-inputs-" });
    try {
      const cohort = await writeSyntheticCohort({
        outDir: join(dir, "slides"),
        slides: 1,
        seed: 4,
        sides: [1024],
      });
      await Deno.mkdir(join(cohort.dir, "x.svs"));
      const db = join(dir, "run.duckdb");
      for (const quiet of [[], ["--quiet"]]) {
        const r = await asmil([
          "--db",
          db,
          ...quiet,
          "tile",
          "--slides",
          cohort.dir,
          "--no-qc",
          "--min-tissue",
          "0.3",
        ]);
        assert.equal(r.code, 0, r.stderr);
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
        await sql(db, "select id from slides"),
        `id\n${cohort.slides[0]!.id}\n`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "asmil embed reads the tiles the store has, whatever options tile was given, and leaves them as they were",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-tile-inputs-" });
    try {
      const cohort = await writeSyntheticCohort({
        outDir: join(dir, "slides"),
        slides: 1,
        seed: 4,
        sides: [1024],
      });
      const db = join(dir, "run.duckdb");
      // Not the default minimum tissue (0.5): the grid keeps more tiles.
      const tiled = await asmil([
        "--db",
        db,
        "tile",
        "--slides",
        cohort.dir,
        "--no-qc",
        "--min-tissue",
        "0.3",
      ]);
      assert.equal(tiled.code, 0, tiled.stderr);
      const tiles = await sql(db, TILES_DIGEST);
      const params = await sql(db, "select tile_params from slides");
      const embedded = await asmil(["--db", db, "embed"]);
      assert.equal(embedded.code, 0, embedded.stderr);
      assert.equal(await sql(db, TILES_DIGEST), tiles, "tiles untouched");
      assert.equal(await sql(db, "select tile_params from slides"), params);
      assert.equal(
        await sql(
          db,
          "select (select count(*) from embeddings) = (select count(*) from tiles) as every_tile",
        ),
        "every_tile\ntrue\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
