import assert from "node:assert/strict";
import { withFakeRun } from "../../testing/with_fake_run.ts";
import { escapeHtml } from "./_format.ts";
import { effectivePatches } from "./attention_measures.ts";
import { formatAttention } from "./attention_scale.ts";
import { writeReport } from "./report.ts";
import { chooseEpoch } from "./run_metrics.ts";

/** The HTML of one element with `id`, up to the next block of the same kind. */
function block(html: string, id: string, next: RegExp): string {
  const start = html.indexOf(`id="${id}"`);
  assert.ok(start >= 0, `no element with id ${id}`);
  const rest = html.slice(start + 1);
  const end = rest.search(next);
  return end < 0 ? rest : rest.slice(0, end);
}

function panels(html: string) {
  return [
    ...html.matchAll(
      /<figure class="epoch-panel" data-epoch="(\d+)"><img [^>]*src="data:image\/png;base64,[^"]+"><figcaption>(.*?)<\/figcaption>/g,
    ),
  ].map((m) => ({ epoch: Number(m[1]), caption: m[2]!.split("<br>") }));
}

Deno.test("The report draws the most and least stable slides at epochs 1, 2, 5, 10, best and last, captioned from the store", async () => {
  await withFakeRun(
    { slides: 6, epochs: 12, seed: 4 },
    async ({ store, dir }) => {
      const report = await writeReport({
        store,
        runs: ["r"],
        outDir: dir,
        heatmapSlides: 2,
        evaluate: { bootstrap: { resamples: 50 } },
      });
      const html = await Deno.readTextFile(report.html);
      const ranked = report.evaluations[0]!.slides.map((s) => s.slide);
      const chosen = [...ranked.slice(0, 2), ...ranked.slice(-2)];
      const best = await chooseEpoch(store, "r", "best");
      const expected = [...new Set([0, 1, 4, 9, best, 11])].sort((a, b) =>
        a - b
      );
      assert.equal(
        (html.match(/<div class="epoch-slide"/g) ?? []).length,
        4,
      );
      for (const slide of chosen) {
        const section = block(
          html,
          `r-${slide}-epochs`,
          /<div class="epoch-slide"|<h3>/,
        );
        const shown = panels(section);
        assert.deepEqual(shown.map((p) => p.epoch), expected.map((e) => e + 1));
        const rows = await store.query<{ epoch: number; scores: number[] }>(
          "SELECT epoch, scores FROM attention WHERE run = 'r' AND slide = ? ORDER BY epoch",
          [slide],
        );
        for (const p of shown) {
          const scores = rows[p.epoch - 1]!.scores;
          const tags = [
            ...(p.epoch - 1 === best ? ["best"] : []),
            ...(p.epoch === 12 ? ["last", "reported"] : []),
          ];
          assert.deepEqual(
            p.caption,
            [
              `epoch ${p.epoch}${tags.length ? ` (${tags.join(", ")})` : ""}`,
              `attention ${formatAttention(Math.min(...scores))}–${
                formatAttention(Math.max(...scores))
              }`,
              `${effectivePatches(scores).toFixed(1)} effective patches`,
            ].map(escapeHtml),
          );
        }
        // One legend: attention value on the slide's shared scale, over every epoch.
        const all = rows.flatMap((r) => r.scores);
        const top = formatAttention(Math.max(...all));
        assert.equal((section.match(/class="scale-legend"/g) ?? []).length, 1);
        assert.match(
          section,
          new RegExp(
            `Colour: the attention value of each tile on a log scale from [^ ]+ to ${top}`,
          ),
        );
        assert.match(section, /uniform 1\/N = 0\.063/);
        // Beside the panels: the slide's JS and effective patches per epoch.
        assert.match(section, /<figure class="plot slide-epoch-plot"><svg/);
        assert.match(section, />JS divergence to the previous epoch \(nats\)</);
        assert.match(section, />effective patches exp\(H\)</);
      }
      // The stepped view: the least stable slide at all 12 epochs, the first shown.
      const step = block(html, `r-${ranked.at(-1)}-steps`, /<\/section>/);
      const frames = [
        ...step.matchAll(
          /<figure class="frame" data-epoch="(\d+)"( hidden)?>/g,
        ),
      ];
      assert.deepEqual(
        frames.map((f) => Number(f[1])),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      assert.deepEqual(frames.map((f) => f[2] === undefined), [
        true,
        ...Array(11).fill(false),
      ]);
      assert.match(step, /<input type="range" min="0" max="11" value="0"/);
      assert.equal((html.match(/<script>/g) ?? []).length, 1);
      assert.doesNotMatch(html, /src="(https?:|file:|assets\/)|<script src/);
      // The Markdown has the panels as files with their captions in a table.
      const md = await Deno.readTextFile(report.markdown);
      assert.match(
        md,
        /### Attention over epochs: most and least stable slides/,
      );
      const link = `assets/r-${chosen[0]}-epochs-${expected.at(-1)! + 1}.png`;
      assert.ok(md.includes(`](${link})`), `missing ${link}`);
      await Deno.stat(`${dir}/${link}`);
    },
  );
});

Deno.test("The panels follow the reported epoch, and a long run's stepped view is thinned and the page stays small", async () => {
  await withFakeRun({
    run: "long",
    slides: 3,
    images: true,
    epochs: 60,
    seed: 5,
  }, async ({ store, dir }) => {
    const report = await writeReport({
      store,
      runs: ["long"],
      outDir: `${dir}/report`,
      heatmapSlides: 1,
      evaluate: { epoch: "best", bootstrap: { resamples: 50 } },
    });
    const html = await Deno.readTextFile(report.html);
    const e = report.evaluations[0]!;
    const shown = panels(html);
    assert.ok(
      shown.some((p) =>
        p.epoch === e.epoch + 1 && p.caption[0]!.includes("reported")
      ),
    );
    const frames = [
      ...html.matchAll(/<figure class="frame" data-epoch="(\d+)"/g),
    ]
      .map((m) => Number(m[1]));
    assert.equal(frames.length, 50);
    assert.deepEqual([frames[0], frames.at(-1)], [1, 60]);
    assert.match(html, /50 of its 60 epochs, evenly spread/);
    const { size } = await Deno.stat(report.html);
    assert.ok(size < 8e6, `report.html is ${(size / 1e6).toFixed(1)} MB`);
    console.log(`report.html of a 60-epoch run: ${(size / 1e6).toFixed(2)} MB`);
  });
});
