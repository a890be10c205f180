import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import sharp from "sharp";
import { Store } from "../../data/store.ts";
import { withCi } from "./_format.ts";
import { syntheticSlides, writeFakeRun } from "../../testing/fake_run.ts";
import { withFakeRun } from "../../testing/with_fake_run.ts";
import { writeReport } from "./report.ts";
import { screenshotPage } from "./screenshot.ts";
import { needs } from "../../testing/system_libs.ts";

async function fakeReport(outDir: string) {
  const store = await Store.open(":memory:");
  const slides = await syntheticSlides(outDir, 4);
  await writeFakeRun(store, { run: "asmil-0", slides, epochs: 6, seed: 1 });
  await writeFakeRun(store, {
    run: "abmil-0",
    slides,
    epochs: 6,
    seed: 2,
    settling: 0.3,
    model: "abmil",
  });
  const report = await writeReport({
    store,
    runs: ["asmil-0", "abmil-0"],
    outDir: `${outDir}/report`,
    heatmapSlides: 1,
    maxSide: 480,
    evaluate: { bootstrap: { resamples: 200 } },
  });
  store.close();
  return report;
}

Deno.test("writeReport() writes a self-contained HTML page with the plots, tables and heatmaps", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const report = await fakeReport(dir);
    const html = await Deno.readTextFile(report.html);
    // Seven plots: ROC, learning and stability per run, and the comparison;
    // per run and heatmap slide a small per-epoch plot and a colour legend,
    // and a legend under the stepped view.
    assert.equal((html.match(/<svg[\s>]/g) ?? []).length, 7 + 2 * (2 * 2 + 1));
    assert.equal((html.match(/<figure class="plot"/g) ?? []).length, 7);
    for (
      const text of [
        "ROC",
        "loss",
        "mean JS divergence to the previous epoch",
        "effective patches exp(H)",
      ]
    ) {
      assert.ok(html.includes(`>${text}<`), `missing plot text ${text}`);
    }
    assert.ok(
      html.includes(">asmil-0 (asmil)<") && html.includes(">abmil-0 (abmil)<"),
    );
    // The figures in the tables are the evaluation's.
    for (const e of report.evaluations) {
      const test = e.splits.find((s) => s.split === "test")!;
      assert.ok(
        html.includes(withCi(test.ci.auc)),
        `missing ${withCi(test.ci.auc)}`,
      );
      assert.ok(html.includes(`id="run-${e.run.id}"`));
    }
    // Heatmaps (one most, one least stable slide per run) and their galleries as PNG data URIs.
    const uris = [
      ...html.matchAll(
        /alt="(?:attention heatmap|top tiles) of [^"]+" src="data:image\/png;base64,([^"]+)"/g,
      ),
    ].map((m) => m[1]!);
    assert.equal(uris.length, 2 * 2 * 2);
    const first = await sharp(Buffer.from(uris[0]!, "base64")).metadata();
    assert.deepEqual([first.format, first.width, first.height], [
      "png",
      480,
      320,
    ]);
    assert.doesNotMatch(html, /src="(https?:|file:|assets\/)/);
    // The Markdown links only to files that were written.
    const md = await Deno.readTextFile(report.markdown);
    const links = [...md.matchAll(/\]\((assets\/[^)]+)\)/g)].map((m) => m[1]!);
    // Plots, heatmaps and galleries; per heatmap slide its panels over
    // epochs and its per-epoch plot.
    const panels = (html.match(/<figure class="epoch-panel"/g) ?? []).length;
    assert.ok(panels >= 2 * 2 * 4, `${panels} panels over epochs`);
    assert.equal(links.length, 7 + 8 + panels + 2 * 2);
    for (const link of links) await Deno.stat(`${dir}/report/${link}`);
    // The last of 6 epochs (stored as 5) reads as epoch 6.
    assert.match(md, /\| asmil-0 \| asmil \| 6 \| test \|/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeReport() says which slides it could not draw when the store has no tiles for them", async () => {
  await withFakeRun(
    { slides: 6, epochs: 3, seed: 1 },
    async ({ store, dir }) => {
      await store.exec("DELETE FROM tiles WHERE slide <> 'slide-01'");
      const report = await writeReport({
        store,
        runs: ["r"],
        outDir: dir,
        heatmapSlides: 2,
        evaluate: { bootstrap: { resamples: 50 } },
      });
      const html = await Deno.readTextFile(report.html);
      assert.match(html, /5 of 6 slides have no matching tiles in the store/);
      // Only slide-01 can be drawn: once, as the most stable (no file: blank background).
      assert.equal(
        (html.match(/alt="attention heatmap of slide-01"/g) ?? []).length,
        1,
      );
      assert.equal((html.match(/alt="attention heatmap of/g) ?? []).length, 1);
      assert.match(
        await Deno.readTextFile(report.markdown),
        /_5 of 6 slides have no matching tiles/,
      );
    },
  );
});

const noChromium = () =>
  needs("chromium", "the report's browser screenshot test; or set CHROMIUM")
    .ignore;

async function colourCounts(html: string, png: string) {
  await screenshotPage(html, png, { width: 1200, height: 4200 });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({
    resolveWithObject: true,
  });
  assert.deepEqual([info.width, info.height], [1200, 4200]);
  let vegaBlue = 0, heatRed = 0, heatBlue = 0;
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    // vega's first category colour #4c78a8 (plot lines and legends)
    const lines = Math.abs(r - 76) < 6 && Math.abs(g - 120) < 6 &&
      Math.abs(b - 168) < 6;
    if (lines) vegaBlue++;
    // the ramp's ends (dark red, deep blue) blended over tissue
    if (r > 150 && g < 90 && b < 110) heatRed++;
    if (!lines && b > 140 && r < 130 && g < 150) heatBlue++;
  }
  return { vegaBlue, heatRed, heatBlue };
}

Deno.test({
  name: "A report opened in headless Chromium shows its plots and heatmaps",
  ignore: noChromium(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const report = await fakeReport(dir);
      // The same page without its images is the baseline: the heatmaps must
      // add many attention-coloured pixels on top of it.
      const bare = `${dir}/report/bare.html`;
      await Deno.writeTextFile(
        bare,
        (await Deno.readTextFile(report.html)).replace(/<img[^>]*>/g, ""),
      );
      const shot = await colourCounts(report.html, `${dir}/shot.png`);
      const baseline = await colourCounts(bare, `${dir}/bare.png`);
      assert.ok(shot.vegaBlue > 500, `plot lines: ${shot.vegaBlue} pixels`);
      assert.ok(
        shot.heatRed - baseline.heatRed > 3000,
        `high-attention pixels: ${shot.heatRed} vs ${baseline.heatRed} without images`,
      );
      assert.ok(
        shot.heatBlue - baseline.heatBlue > 3000,
        `low-attention pixels: ${shot.heatBlue} vs ${baseline.heatBlue} without images`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * A screenshot's pixels (RGB) with the elements matching `hide` made
 * invisible (layout kept) and `script` run after the page's own.
 */
async function pixels(
  html: string,
  dir: string,
  name: string,
  { hide = "", script = "" } = {},
) {
  const page = `${dir}/${name}.html`, png = `${dir}/${name}.png`;
  await Deno.writeTextFile(
    page,
    (await Deno.readTextFile(html))
      .replace(
        "</head>",
        hide ? `<style>${hide}{visibility:hidden}</style></head>` : "</head>",
      )
      .replace(
        "</body>",
        script ? `<script>${script}</script></body>` : "</body>",
      ),
  );
  await screenshotPage(page, png, { width: 1200, height: 6000 });
  return await sharp(png).removeAlpha().raw().toBuffer();
}

/** Where two screenshots differ, with the colours of `a` there. */
function difference(a: Uint8Array, b: Uint8Array, width: number) {
  let count = 0, warm = 0, cool = 0;
  let x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
  for (let i = 0; i < a.length; i += 3) {
    const d = Math.max(
      Math.abs(a[i]! - b[i]!),
      Math.abs(a[i + 1]! - b[i + 1]!),
      Math.abs(a[i + 2]! - b[i + 2]!),
    );
    if (d <= 8) continue;
    count++;
    const r = a[i]!, g = a[i + 1]!, bl = a[i + 2]!;
    // The ramp's upper half (orange to dark red) and lower half (blues).
    if (r > g + 50 && r > bl + 30) warm++;
    if (bl > r + 30 && bl > g) cool++;
    const x = (i / 3) % width, y = Math.floor(i / 3 / width);
    x0 = Math.min(x0, x), x1 = Math.max(x1, x);
    y0 = Math.min(y0, y), y1 = Math.max(y1, y);
  }
  return { count, warm, cool, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

Deno.test({
  name:
    "A report in headless Chromium shows the small multiples over epochs and one frame of the stepped view",
  ignore: noChromium(),
  async fn() {
    await withFakeRun({
      slides: 4,
      images: true,
      epochs: 12,
      seed: 1,
    }, async ({ store, dir }) => {
      const report = await writeReport({
        store,
        runs: ["r"],
        outDir: `${dir}/report`,
        heatmapSlides: 1,
        maxSide: 320,
        evaluate: { bootstrap: { resamples: 50 } },
      });
      const html = await Deno.readTextFile(report.html);
      const panels = (html.match(/<figure class="epoch-panel"/g) ?? []).length;
      const frames = (html.match(/<figure class="frame"/g) ?? []).length;
      // Two slides at epochs 1, 2, 5, 10, the best and 12; every epoch stepped.
      assert.ok(panels >= 2 * 5, `${panels} panels`);
      assert.equal(frames, 12);
      const [, pw, ph] = html.match(
        /<figure class="epoch-panel"[^>]*><img [^>]*width="(\d+)" height="(\d+)"/,
      )!.map(Number);
      const [, fw, fh] = html.match(
        /<figure class="frame"[^>]*><img [^>]*width="(\d+)" height="(\d+)"/,
      )!.map(Number);
      const full = await pixels(report.html, dir, "full");
      // Hiding only the panels' images shows where they are drawn.
      const shown = difference(
        full,
        await pixels(report.html, dir, "no-panels", {
          hide: ".epoch-panel img",
        }),
        1200,
      );
      const area = panels * pw! * ph!;
      assert.ok(
        shown.count > 0.9 * area && shown.count < 1.05 * area,
        `panels cover ${shown.count} pixels, expected about ${area}`,
      );
      assert.ok(shown.width >= 3 * pw!, `panels span ${shown.width} px`);
      assert.ok(shown.warm > 0.02 * area, `warm pixels: ${shown.warm}`);
      assert.ok(shown.cool > 0.2 * area, `cool pixels: ${shown.cool}`);
      // The stepped view shows one frame, not all twelve.
      const step = difference(
        full,
        await pixels(report.html, dir, "no-frames", { hide: ".frame img" }),
        1200,
      );
      assert.ok(
        step.count > 0.9 * fw! * fh! && step.count < 1.05 * fw! * fh!,
        `stepped view covers ${step.count} pixels, one frame is ${fw! * fh!}`,
      );
      // One frame's box: the image and its 1-pixel border.
      assert.deepEqual([step.width, step.height], [fw! + 2, fh! + 2]);
      assert.ok(step.cool > 0.1 * fw! * fh!, `cool pixels: ${step.cool}`);
      // Moving the slider to the last epoch swaps the frame in place (the
      // slider's knob and the caption change too).
      const moved = difference(
        full,
        await pixels(report.html, dir, "last-frame", {
          script: `const s = document.querySelector("[data-stepper] input");
            s.value = "11"; s.dispatchEvent(new Event("input"));`,
        }),
        1200,
      );
      assert.ok(
        moved.count > 0.2 * fw! * fh!,
        `the last epoch's frame differs from the first in ${moved.count} pixels`,
      );
      assert.ok(
        moved.width < 2 * fw! && moved.height < 2 * fh!,
        `the change spans ${moved.width}×${moved.height} px: the slider, one frame and its caption should change, no second frame appear`,
      );
    });
  },
});
