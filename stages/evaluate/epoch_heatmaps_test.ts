import assert from "node:assert/strict";
import sharp from "sharp";
import {
  fakeRunStore,
  filteredFakeRunStore,
  filteredFakeSlide,
  filteredTileCentre,
} from "../../testing/fake_run.ts";
import { effectivePatches } from "./attention_measures.ts";
import { scaleColour, sharedAttentionScale } from "./attention_scale.ts";
import {
  panelEpochs,
  slideEpochHeatmaps,
  spreadEpochs,
} from "./epoch_heatmaps.ts";

Deno.test("panelEpochs() keeps epochs 1, 2, 5, 10 and the tagged ones that exist, once each", () => {
  const twelve = Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual(
    panelEpochs(twelve, { best: 6, last: 11, reported: 11 }),
    [
      { epoch: 0, tags: [] },
      { epoch: 1, tags: [] },
      { epoch: 4, tags: [] },
      { epoch: 6, tags: ["best"] },
      { epoch: 9, tags: [] },
      { epoch: 11, tags: ["last", "reported"] },
    ],
  );
  // A short run: the best is the second epoch, epochs 5 and 10 do not exist.
  assert.deepEqual(panelEpochs([0, 1, 2], { best: 1, last: 2, gone: 7 }), [
    { epoch: 0, tags: [] },
    { epoch: 1, tags: ["best"] },
    { epoch: 2, tags: ["last"] },
  ]);
  assert.deepEqual(panelEpochs([], { last: undefined }), []);
});

Deno.test("spreadEpochs() thins long runs evenly, keeping the first and last", () => {
  const fifty = Array.from({ length: 50 }, (_, i) => i);
  assert.deepEqual(spreadEpochs(fifty, 60), fifty);
  const ten = spreadEpochs(fifty, 10);
  assert.equal(ten.length, 10);
  assert.deepEqual([ten[0], ten.at(-1)], [0, 49]);
  assert.ok(ten.every((e, i) => i === 0 || e > ten[i - 1]!));
  assert.throws(() => spreadEpochs(fifty, 1), /max to be an integer >= 2/);
});

Deno.test("slideEpochHeatmaps() draws every epoch on one absolute scale with each epoch's range and effective patches", async () => {
  const store = await fakeRunStore({ slides: 2, epochs: 6, seed: 3 });
  try {
    const maps = await slideEpochHeatmaps({
      store,
      run: "r",
      slide: "slide-01",
      epochs: [0, 2, 5],
      maxSide: 200,
      paletteColours: 0,
    });
    const rows = await store.attentionSnapshots("r", { slide: "slide-01" });
    // The scale spans every epoch of the slide, not only those drawn.
    assert.deepEqual(
      maps.scale,
      sharedAttentionScale(rows.map((r) => r.scores)),
    );
    assert.deepEqual(maps.epochs, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(maps.panels.map((p) => p.epoch), [0, 2, 5]);
    assert.deepEqual(
      [maps.tiles, maps.width, maps.height, maps.background, maps.outline],
      [16, 200, 200, "blank", "tiles"],
    );
    const tiles = await store.query<{ x: number; y: number; size: number }>(
      "SELECT x, y, size FROM tiles WHERE slide = 'slide-01' ORDER BY tile",
    );
    for (const panel of maps.panels) {
      const scores = rows[panel.epoch]!.scores;
      assert.equal(panel.min, Math.min(...scores));
      assert.equal(panel.max, Math.max(...scores));
      assert.ok(
        Math.abs(panel.effectivePatches - effectivePatches(scores)) < 1e-9,
      );
      const { data } = await sharp(panel.png).raw().toBuffer({
        resolveWithObject: true,
      });
      // Every tile's centre has its value's colour on the shared scale over
      // the blank background (242), blended at 0.7.
      tiles.forEach((t, i) => {
        const cx = Math.floor((t.x + t.size / 2) / 5.12),
          cy = Math.floor((t.y + t.size / 2) / 5.12);
        const at = (cy * 200 + cx) * 3;
        const want = scaleColour(maps.scale, scores[i]!).map((c) =>
          Math.round(242 * (1 - 0.7) + c * 0.7)
        );
        assert.deepEqual(
          [...data.subarray(at, at + 3)],
          want,
          `epoch ${panel.epoch} tile ${i}`,
        );
      });
    }
    await assert.rejects(
      slideEpochHeatmaps({ store, run: "r", slide: "slide-01", epochs: [9] }),
      /at epochs 10: it has attention for epochs 1…6 \(epochs counted from 1; stored from 0\)/,
    );
    await assert.rejects(
      slideEpochHeatmaps({ store, run: "other", slide: "slide-01" }),
      /expected attention for run "other", found none/,
    );
  } finally {
    store.close();
  }
});

Deno.test("slideEpochHeatmaps() colours a filtered slide's bag tiles and leaves the dropped ones blank", async () => {
  const slide = filteredFakeSlide();
  const store = await filteredFakeRunStore(4);
  try {
    const maps = await slideEpochHeatmaps({
      store,
      run: "r",
      slide: slide.id,
      maxSide: 256,
      paletteColours: 0,
    });
    assert.deepEqual([maps.tiles, maps.width, maps.height], [6, 256, 128]);
    const rows = await store.attentionSnapshots("r", { slide: slide.id });
    for (const panel of maps.panels) {
      const scores = rows[panel.epoch]!.scores;
      const { data } = await sharp(panel.png).raw().toBuffer({
        resolveWithObject: true,
      });
      const centre = (t: number) => filteredTileCentre(data, t);
      [0, 1, 3, 4, 6, 7].forEach((t, i) =>
        assert.deepEqual(
          centre(t),
          scaleColour(maps.scale, scores[i]!).map((c) =>
            Math.round(242 * (1 - 0.7) + c * 0.7)
          ),
          `epoch ${panel.epoch} tile ${t}`,
        )
      );
      assert.deepEqual([centre(2), centre(5)], [[242, 242, 242], [
        242,
        242,
        242,
      ]]);
    }
  } finally {
    store.close();
  }
});
