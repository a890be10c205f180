import assert from "node:assert/strict";
import { Store } from "./store.ts";
import {
  fakeSlides,
  filteredFakeSlide,
  writeFakeRun,
} from "../testing/fake_run.ts";
import { loadLocalisation } from "../stages/evaluate/localisation.ts";

/** The filtered slide's bag (tiles 2 and 5 dropped) and their labels. */
const BAG = [0, 1, 3, 4, 6, 7];
const BAG_LABELS = [0, 0, 1, 0, 1, 1];

/**
 * A run of encoder `kept` over three slides, one of them filtered, in a
 * store that also holds encoder `every`'s embeddings of every tile.
 */
async function filteredRunStore(): Promise<Store> {
  const store = await Store.open(":memory:");
  const slides = [...fakeSlides(2), filteredFakeSlide()];
  await writeFakeRun(store, {
    run: "r",
    slides,
    epochs: 3,
    seed: 5,
    encoder: "kept",
  });
  await store.transaction(async (tx) => {
    for (const s of slides) {
      await tx.replaceEmbeddings(
        s.id,
        "every",
        s.tiles.map((t) => ({ tile: t.tile, features: [0, 0] })),
      );
    }
  });
  return store;
}

/** ROC AUC of `scores` against 0/1 `labels`, ties counting one half. */
function aucByHand(scores: readonly number[], labels: readonly number[]) {
  let wins = 0, pairs = 0;
  scores.forEach((p, i) =>
    scores.forEach((q, j) => {
      if (labels[i] !== 1 || labels[j] !== 0) return;
      pairs++;
      wins += p > q ? 1 : p === q ? 0.5 : 0;
    })
  );
  return wins / pairs;
}

Deno.test("attention_tiles maps a filtered slide's attention to the tiles its encoder embedded", async () => {
  const store = await filteredRunStore();
  assert.deepEqual(await store.query("SELECT * FROM run_encoders"), [
    { run: "r", encoder: "kept" },
  ]);
  const rows = await store.query(
    `SELECT tile, i FROM attention_tiles
     WHERE run = 'r' AND slide = 'filtered' ORDER BY i`,
  );
  assert.deepEqual(rows, BAG.map((tile, i) => ({ tile, i: i + 1 })));
  assert.deepEqual(
    (await store.attentionTiles("r", "filtered")).map((t) => [t.tile, t.x]),
    BAG.map((tile) => [tile, (tile % 4) * 256]),
  );
  assert.equal((await store.attentionTiles("r", "slide-00")).length, 16);
  store.close();
});

Deno.test("tumourLabels() and slidesMatchingAttention() follow the bag of a filtered slide", async () => {
  const store = await filteredRunStore();
  const labels = await store.tumourLabels("r");
  assert.deepEqual(labels.get("filtered"), BAG_LABELS);
  assert.equal(labels.get("slide-01")?.length, 16);
  assert.deepEqual([...await store.slidesMatchingAttention("r", 2)].sort(), [
    "filtered",
    "slide-00",
    "slide-01",
  ]);
  store.close();
});

Deno.test("attention localisation scores a filtered slide's attention against its bag's tumour labels", async () => {
  const store = await filteredRunStore();
  const snapshots = await store.attentionSnapshots("r", { slide: "filtered" });
  assert.equal(snapshots.length, 3);
  const expected = snapshots.map((s) => aucByHand(s.scores, BAG_LABELS));
  const sql = await store.query(
    `SELECT epoch, positives, negatives, auc FROM attention_localisation
     WHERE run = 'r' AND slide = 'filtered' ORDER BY epoch`,
  );
  assert.deepEqual(
    sql.map((r) => [r.epoch, r.positives, r.negatives]),
    [[0, 3, 3], [1, 3, 3], [2, 3, 3]],
  );
  sql.forEach((r, e) =>
    assert.ok(Math.abs(Number(r.auc) - expected[e]!) < 1e-12, `epoch ${e}`)
  );
  const ts = (await loadLocalisation(store, "r"))
    .filter((r) => r.slide === "filtered");
  assert.deepEqual(ts.map((r) => [r.epoch, r.positives, r.negatives]), [
    [0, 3, 3],
    [1, 3, 3],
    [2, 3, 3],
  ]);
  ts.forEach((r, e) =>
    assert.ok(Math.abs(r.auc - expected[e]!) < 1e-12, `epoch ${e}`)
  );
  store.close();
});

Deno.test("attention_tiles falls back to every tile in index order for a run whose encoder's embeddings are gone", async () => {
  const store = await filteredRunStore();
  await store.exec("DELETE FROM embeddings");
  assert.deepEqual(await store.query("SELECT * FROM run_encoders"), []);
  assert.equal((await store.attentionTiles("r", "slide-00")).length, 16);
  // The filtered slide's 8 tiles do not match its 6 attention entries.
  assert.equal((await store.attentionTiles("r", "filtered")).length, 8);
  assert.ok(!(await store.slidesMatchingAttention("r", 0)).has("filtered"));
  assert.equal((await store.tumourLabels("r")).get("filtered")?.length, 8);
  assert.deepEqual(
    await store.query(
      "SELECT * FROM attention_localisation WHERE slide = 'filtered'",
    ),
    [],
  );
  store.close();
});
