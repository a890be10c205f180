import assert from "node:assert/strict";
import sharp from "sharp";
import { learningCurveSpec, rocSpec, stabilitySpec } from "./plot_specs.ts";
import { renderPng, renderSvg } from "./render_plot.ts";
import { rocCurve } from "./roc_curve.ts";

const lines = (svg: string) =>
  (svg.match(/class="mark-line role-mark/g) ?? []).length;

Deno.test("rocSpec() renders one line per curve plus the diagonal, with legend labels", async () => {
  const svg = await renderSvg(rocSpec([
    {
      name: "run-a · val (AUC 0.88)",
      points: rocCurve([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]),
    },
    { name: "run-a · test (AUC 1.00)", points: rocCurve([0.2, 0.8], [0, 1]) },
  ]));
  assert.match(svg, /^<svg/);
  assert.match(svg, /run-a · val \(AUC 0\.88\)/);
  assert.match(svg, /false positive rate/);
  // The diagonal and the two curves are path elements under line marks.
  const paths = svg.match(/<path[^>]*d="M[^"]+"/g) ?? [];
  assert.ok(paths.length >= 3, `${paths.length} paths`);
  assert.ok(lines(svg) >= 2);
});

Deno.test("learningCurveSpec() draws losses and metrics side by side", async () => {
  const svg = await renderSvg(learningCurveSpec(
    [0, 1, 2].flatMap((
      epoch,
    ) => [{ epoch, series: "total", value: 1 / (epoch + 1) }, {
      epoch,
      series: "ce",
      value: 0.5 / (epoch + 1),
    }]),
    [0, 1, 2].map((epoch) => ({
      epoch,
      series: "val AUC",
      value: 0.6 + 0.1 * epoch,
    })),
  ));
  for (const text of ["loss", "metrics", "total", "ce", "val AUC", "epoch"]) {
    assert.ok(svg.includes(`>${text}<`), `missing ${text}`);
  }
  assert.ok(lines(svg) >= 2);
});

Deno.test("stabilitySpec() uses a log axis for positive divergences and renders to PNG", async () => {
  const meanJs = [0, 1, 2, 3].flatMap((epoch) => [
    { epoch, series: "asmil", value: 0.2 * Math.exp(-epoch) },
    { epoch, series: "abmil", value: 0.2 * Math.exp(-0.2 * epoch) },
  ]);
  const spec = stabilitySpec(
    meanJs,
    meanJs.map((m) => ({ ...m, value: 10 - m.epoch })),
    0.01,
  );
  assert.match(JSON.stringify(spec), /"type":"log"/);
  assert.doesNotMatch(
    JSON.stringify(stabilitySpec([{ epoch: 0, series: "a", value: 0 }])),
    /"type":"log"/,
  );
  const svg = await renderSvg(spec);
  assert.ok(svg.includes(">asmil<") && svg.includes(">abmil<"));
  const png = await renderPng(spec, 72);
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, "png");
  const width = Number(svg.match(/width="(\d+)"/)![1]);
  assert.equal(meta.width, width);
});
