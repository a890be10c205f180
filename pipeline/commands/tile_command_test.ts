import assert from "node:assert/strict";
import { isAbsolute, join } from "node:path";
import { openStore } from "../../data/store.ts";
import { asmilOk } from "../../testing/asmil_process.ts";
import { tempDirTest } from "../../testing/temp_dir.ts";
import { tinyCohort, writeTinyCohort } from "../../testing/tiny_cohort.ts";
import { pathExists } from "../../core/path_exists.ts";

async function storedPaths(db: string): Promise<string[]> {
  const store = await openStore(db);
  try {
    const rows = await store.query<{ path: string }>(
      "SELECT path FROM slides ORDER BY id",
    );
    return rows.map((r) => r.path);
  } finally {
    store.close();
  }
}

tempDirTest(
  "asmil tile writes QC images beside the store by default and stores absolute slide paths, so embed runs from another folder",
  async (dir) => {
    const cohort = await writeTinyCohort(join(dir, "work", "slides"), {
      slides: 2,
    });
    const ids = cohort.slides.map((s) => s.id);
    const work = join(dir, "work");
    // An explicit --db must name an existing folder.
    await Deno.mkdir(join(work, "store"), { recursive: true });
    // Relative paths, from the working folder of the tile run.
    const tiled = await asmilOk([
      "--db",
      "store/run.duckdb",
      "tile",
      "--slides",
      "slides",
      "--min-tissue",
      "0.3",
    ], { cwd: work });
    assert.match(tiled.stdout, /2 tiled.*QC images in store\/qc/);
    for (const id of ids) {
      assert.ok(
        await pathExists(join(work, "store", "qc", `${id}.mask.png`)),
      );
      assert.ok(
        await pathExists(join(work, "store", "qc", `${id}.overlay.png`)),
      );
    }
    const db = join(work, "store", "run.duckdb");
    const paths = await storedPaths(db);
    assert.deepEqual(
      paths,
      ids.map((id) => join(work, "slides", `${id}.tiff`)),
    );
    assert.ok(paths.every(isAbsolute));

    const embedded = await asmilOk(["--db", db, "embed"], { cwd: dir });
    assert.match(embedded.stdout, /2 slides embedded/);
  },
);

tempDirTest(
  "asmil tile --no-qc writes no QC images, --qc DIR writes them there",
  async (dir) => {
    const cohort = await tinyCohort({ slides: 2 });
    const id = cohort.slides[0]!.id;
    /** `asmil tile` into a store in `<dir>/<folder>`. */
    const tile = async (folder: string, ...qc: string[]) => {
      await Deno.mkdir(join(dir, folder));
      const db = join(dir, folder, "run.duckdb");
      return await asmilOk([
        "--db",
        db,
        "tile",
        "--slides",
        cohort.dir,
        ...qc,
      ]);
    };
    const off = await tile("off", "--no-qc");
    assert.match(off.stdout, /QC images off/);
    assert.equal(await pathExists(join(dir, "off", "qc")), false);

    const elsewhere = join(dir, "checks");
    await tile("on", "--qc", elsewhere);
    assert.ok(await pathExists(join(elsewhere, `${id}.overlay.png`)));
    assert.equal(await pathExists(join(dir, "on", "qc")), false);
  },
);
