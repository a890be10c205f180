import assert from "node:assert/strict";
import { join } from "node:path";
import { synthCommand, writeSyntheticCohort } from "./cohort.ts";
import { OpenSlideReader } from "../../stages/tile/openslide_reader.ts";
import { needs } from "../../testing/system_libs.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const noOpenSlide = () =>
  needs("libopenslide0", "reading synthetic slides with OpenSlide").ignore;

async function digest(path: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(
    new Uint8Array(hash),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

Deno.test({
  ...opts,
  ignore: noOpenSlide(),
  name:
    "writeSyntheticCohort() writes Aperio slides OpenSlide reads, labels.csv and ground truth, identically per seed and pool size",
  async fn() {
    const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
    try {
      const cohort = await writeSyntheticCohort({
        outDir: a,
        slides: 4,
        seed: 5,
        sides: [1024, 1536],
      });
      assert.equal(cohort.reused, false);
      assert.equal(cohort.slides.filter((s) => s.label === 1).length, 2);
      const csv = (await Deno.readTextFile(cohort.labelsPath)).trim().split(
        "\n",
      );
      assert.equal(csv[0], "slide_id,label");
      assert.deepEqual(
        csv.slice(1),
        cohort.slides.map((s) => `${s.id},${s.label}`),
      );
      for (const s of cohort.slides) {
        const slide = OpenSlideReader.open(s.path);
        assert.equal(slide.vendor, "aperio");
        assert.equal(slide.mpp, 0.5);
        assert.equal(slide.magnification, 20);
        assert.deepEqual(slide.levelDimensions[0], {
          width: s.width,
          height: s.height,
        });
        slide.close();
        assert.equal(s.label === 1, s.tumourFraction > 0);
        const truth = JSON.parse(await Deno.readTextFile(s.truthPath));
        assert.equal(truth.tumourMask, `${s.id}.tumour.png`);
        await Deno.stat(s.maskPath);
      }
      const same = await writeSyntheticCohort({
        outDir: b,
        slides: 4,
        seed: 5,
        sides: [1024, 1536],
        concurrency: 1,
      });
      for (let i = 0; i < 4; i++) {
        assert.equal(
          await digest(same.slides[i]!.path),
          await digest(cohort.slides[i]!.path),
        );
        assert.equal(
          await digest(same.slides[i]!.maskPath),
          await digest(cohort.slides[i]!.maskPath),
        );
      }
      const reused = await writeSyntheticCohort({
        outDir: a,
        slides: 4,
        seed: 5,
        sides: [1024, 1536],
      });
      assert.equal(reused.reused, true);
      assert.deepEqual(
        reused.slides.map((s) => s.id),
        cohort.slides.map((s) => s.id),
      );
    } finally {
      await Deno.remove(a, { recursive: true });
      await Deno.remove(b, { recursive: true });
    }
  },
});

Deno.test({
  ...opts,
  name:
    "synthCommand() writes a different cohort for another seed and reports each slide",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const lines: string[] = [];
      const first = await writeSyntheticCohort({
        outDir: join(dir, "a"),
        slides: 2,
        seed: 1,
        sides: [1024],
      });
      const other = await synthCommand({
        out: join(dir, "b"),
        slides: 2,
        seed: 2,
        sides: [1024],
        log: (l) => lines.push(l),
      });
      assert.equal(lines.length, 3);
      assert.match(lines[2]!, /Wrote 2 slides \(1 with tumour\)/);
      assert.notEqual(
        await digest(other.slides[0]!.maskPath),
        await digest(first.slides[0]!.maskPath),
      );
      await assert.rejects(
        writeSyntheticCohort({ outDir: dir, slides: 0 }),
        /slides must be a positive integer/,
      );
      await assert.rejects(
        writeSyntheticCohort({ outDir: dir, sides: [1000] }),
        /multiples of 512/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
