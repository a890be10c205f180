import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../../data/store.ts";
import { writeSyntheticCohort } from "../../data/synthetic/cohort.ts";
import { tempDirTest } from "../../testing/temp_dir.ts";
import { tinyCohort } from "../../testing/tiny_cohort.ts";
import { tileSlides } from "./tile_slides.ts";

tempDirTest(
  "tileSlides() tiles a cohort folder into a store file with labels, QC images and a summary, then skips it",
  async (dir) => {
    const cohort = await tinyCohort({ slides: 2 });
    const db = join(dir, "run.duckdb");
    const qcDir = join(dir, "qc");
    const first = await tileSlides({
      slides: cohort.dir,
      db,
      qcDir,
      minTissue: 0.3,
    });
    assert.equal(first.failed, 0);
    assert.deepEqual(first.results.map((r) => r.status), ["tiled", "tiled"]);
    assert.ok(first.tiles > 0 && first.tilesPerSecond > 0);
    for (const s of cohort.slides) {
      await Deno.stat(join(qcDir, `${s.id}.overlay.png`));
    }
    const store = await openStore(db);
    try {
      const rows = await store.query<
        { id: string; label: string; n: number }
      >(
        "SELECT s.id, s.label, count(t.tile) AS n FROM slides s JOIN tiles t ON t.slide = s.id GROUP BY ALL ORDER BY s.id",
      );
      assert.deepEqual(
        rows.map((r) => [r.id, r.label]),
        cohort.slides.map((s) => [s.id, String(s.label)]),
      );
      assert.equal(rows.reduce((a, r) => a + r.n, 0), first.tiles);
    } finally {
      store.close();
    }
    const again = await tileSlides({
      slides: join(cohort.dir, "labels.csv"),
      db,
      minTissue: 0.3,
    });
    assert.equal(again.tiles, 0);
    assert.deepEqual(again.results.map((r) => r.status), [
      "skipped",
      "skipped",
    ]);
  },
);

tempDirTest(
  "tileSlides() applies per-slide MPP overrides from a CSV",
  async (dir) => {
    const cohort = await writeSyntheticCohort({
      outDir: dir,
      slides: 1,
      seed: 8,
      sides: [1024],
      positiveFraction: 0,
    });
    const id = cohort.slides[0]!.id;
    await Deno.writeTextFile(
      join(dir, "mpp.csv"),
      `slide_id,mpp\n${id},0.25\n`,
    );
    const summary = await tileSlides({
      slides: [{ id, path: cohort.slides[0]!.path }],
      mppCsv: join(dir, "mpp.csv"),
    });
    assert.equal(summary.results[0]?.mpp, 0.25);
    assert.equal(
      summary.results[0]?.level,
      1,
      "0.5 µm/px tiles come from level 1 of a 0.25 µm/px slide",
    );
  },
);
