import assert from "node:assert/strict";
import { isAbsolute, join } from "node:path";
import { writeSyntheticCohort } from "../../data/synthetic/cohort.ts";
import { openStore } from "../../data/store.ts";
import { asmil } from "../../testing/asmil_process.ts";

/** Two small synthetic slides in `<dir>/work/slides`. */
async function cohortIn(dir: string): Promise<string[]> {
  const cohort = await writeSyntheticCohort({
    outDir: join(dir, "work", "slides"),
    slides: 2,
    seed: 4,
    sides: [1024],
  });
  return cohort.slides.map((s) => s.id);
}

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

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name:
    "asmil tile writes QC images beside the store by default and stores absolute slide paths, so embed runs from another folder",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const ids = await cohortIn(dir);
      const work = join(dir, "work");
      // An explicit --db must name an existing folder.
      await Deno.mkdir(join(work, "store"), { recursive: true });
      // Relative paths, from the working folder of the tile run.
      const tiled = await asmil([
        "--db",
        "store/run.duckdb",
        "tile",
        "--slides",
        "slides",
        "--min-tissue",
        "0.3",
      ], { cwd: work });
      assert.equal(tiled.code, 0, tiled.stderr);
      assert.match(tiled.stdout, /2 tiled.*QC images in store\/qc/);
      for (const id of ids) {
        assert.ok(await exists(join(work, "store", "qc", `${id}.mask.png`)));
        assert.ok(await exists(join(work, "store", "qc", `${id}.overlay.png`)));
      }
      const db = join(work, "store", "run.duckdb");
      const paths = await storedPaths(db);
      assert.deepEqual(
        paths,
        ids.map((id) => join(work, "slides", `${id}.tiff`)),
      );
      assert.ok(paths.every(isAbsolute));

      const embedded = await asmil(["--db", db, "embed"], { cwd: dir });
      assert.equal(embedded.code, 0, embedded.stderr);
      assert.match(embedded.stdout, /2 slides embedded/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "asmil tile --no-qc writes no QC images, --qc DIR writes them there",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const [id] = await cohortIn(dir);
      const slides = join(dir, "work", "slides");
      for (const f of ["off", "on"]) await Deno.mkdir(join(dir, f));
      const off = await asmil([
        "--db",
        join(dir, "off", "run.duckdb"),
        "tile",
        "--slides",
        slides,
        "--no-qc",
      ]);
      assert.equal(off.code, 0, off.stderr);
      assert.match(off.stdout, /QC images off/);
      assert.equal(await exists(join(dir, "off", "qc")), false);

      const elsewhere = join(dir, "checks");
      const on = await asmil([
        "--db",
        join(dir, "on", "run.duckdb"),
        "tile",
        "--slides",
        slides,
        "--qc",
        elsewhere,
      ]);
      assert.equal(on.code, 0, on.stderr);
      assert.ok(await exists(join(elsewhere, `${id}.overlay.png`)));
      assert.equal(await exists(join(dir, "on", "qc")), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
