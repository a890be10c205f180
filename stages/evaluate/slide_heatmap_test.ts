import assert from "node:assert/strict";
import sharp from "sharp";
import { Store } from "../../data/store.ts";
import { openSlide } from "../tile/open_slide.ts";
import {
  fakeRunStore,
  filteredFakeRunStore,
  filteredFakeSlide,
  filteredTileCentre,
  syntheticSlides,
  writeFakeRun,
} from "../../testing/fake_run.ts";
import { slideHeatmap } from "./slide_heatmap.ts";

Deno.test("slideHeatmap() draws over the slide's thumbnail with the cohort's tumour outline and a top-k gallery", async () => {
  const dir = await Deno.makeTempDir();
  const store = await Store.open(":memory:");
  try {
    const slides = await syntheticSlides(dir, 2);
    await writeFakeRun(store, { run: "r", slides, epochs: 3, seed: 2 });
    const positive = slides.find((s) => s.label === 1)!;
    const map = await slideHeatmap({
      store,
      run: "r",
      epoch: 2,
      slide: positive.id,
      maxSide: 384,
      topk: 4,
    });
    const reader = openSlide(positive.path!);
    const thumb = await reader.thumbnail(1536 / 384);
    reader.close();
    const meta = await sharp(map.png).metadata();
    assert.deepEqual([meta.width, meta.height], [thumb.width, thumb.height]);
    assert.deepEqual([map.background, map.outline], ["slide", "mask"]);
    // The top tile's square differs from the bare thumbnail (it is coloured).
    const { data } = await sharp(map.png).raw().toBuffer({
      resolveWithObject: true,
    });
    const top = map.topTiles[0]!;
    const cx = Math.floor((top.x + top.size / 2) / 4),
      cy = Math.floor((top.y + top.size / 2) / 4);
    const i = (cy * thumb.width + cx) * 3;
    assert.ok(
      data[i]! > data[i + 2]!,
      `top tile should be red-dominant: ${[...data.subarray(i, i + 3)]}`,
    );
    const scores = (await store.query<{ scores: number[] }>(
      `SELECT scores FROM attention WHERE run = 'r' AND epoch = 2 AND slide = '${positive.id}'`,
    ))[0]!.scores;
    assert.equal(top.score, Math.max(...scores));
    assert.deepEqual(map.topTiles.map((t) => t.rank), [1, 2, 3, 4]);
    const gallery = await sharp(map.gallery!).metadata();
    assert.deepEqual([gallery.width, gallery.height], [4 * 164 + 4, 194]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("slideHeatmap() falls back to a blank background and says why when the slide file is missing", async () => {
  const store = await fakeRunStore({ slides: 2, epochs: 2, seed: 2 });
  const map = await slideHeatmap({
    store,
    run: "r",
    epoch: 1,
    slide: "slide-01",
    maxSide: 256,
  });
  assert.equal(map.background, "blank");
  assert.equal(map.outline, "tiles");
  assert.equal(map.gallery, null);
  assert.match(map.note!, /slide-01\.tiff/);
  const meta = await sharp(map.png).metadata();
  assert.deepEqual([meta.width, meta.height], [256, 256]);
  await assert.rejects(
    slideHeatmap({ store, run: "r", epoch: 7, slide: "slide-01" }),
    /expected attention for run "r", epoch 8 \(stored epoch 7\)/,
  );
  store.close();
});

Deno.test("slideHeatmap() places a filtered slide's attention on its bag tiles and names them in the top tiles", async () => {
  const slide = filteredFakeSlide();
  const store = await filteredFakeRunStore(6);
  try {
    const map = await slideHeatmap({
      store,
      run: "r",
      epoch: 2,
      slide: slide.id,
      maxSide: 256,
      topk: 6,
    });
    const [snapshot] = await store.attentionSnapshots("r", {
      slide: slide.id,
      epoch: 2,
    });
    const scores = snapshot!.scores;
    const bag = [0, 1, 3, 4, 6, 7];
    const byScore = bag.map((tile, i) => ({ tile, score: scores[i]! }))
      .sort((a, b) => b.score - a.score);
    assert.deepEqual(
      map.topTiles.map((t) => [t.tile, t.score]),
      byScore.map((t) => [t.tile, t.score]),
    );
    for (const t of map.topTiles) {
      const stored = slide.tiles[t.tile]!;
      assert.deepEqual([t.x, t.y, t.label], [stored.x, stored.y, stored.label]);
    }
    // Dropped tile 5 keeps the blank background at its centre (tile 2, also
    // dropped, lies under the tumour tint).
    const { data } = await sharp(map.png).removeAlpha().raw().toBuffer({
      resolveWithObject: true,
    });
    const centre = (t: number) => filteredTileCentre(data, t);
    assert.deepEqual(centre(5), [242, 242, 242]);
    // Bag tiles are coloured (tile 7 lies under the colour bar).
    for (const t of [0, 1, 3, 4, 6]) {
      assert.notDeepEqual(centre(t), [242, 242, 242], `tile ${t}`);
    }
  } finally {
    store.close();
  }
});
