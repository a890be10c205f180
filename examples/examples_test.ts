import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Bag,
  type EpochEvent,
  OnnxEncoder,
  openStore,
  type Tile,
  type TileEmbedding,
  useBackend,
} from "../mod.ts";
import { tinyOnnxModel } from "../stages/embed/tiny_onnx_model.ts";
import { exampleCohort, exampleTiles } from "./_cohort.ts";
import {
  judgeTile,
  runTileFilterExample,
  TileFilterStream,
  type TileVerdict,
} from "./tile_filter.ts";
import {
  type LabStats,
  labStats,
  reinhardNormalise,
  ReinhardStream,
  runStainNormaliseExample,
} from "./stain_normalise.ts";
import {
  AttentionParquetSink,
  runAttentionSinkExample,
  type StabilityLine,
} from "./attention_sink.ts";

// wasm: with the OpenBLAS backend loaded beside the slide readers, the test
// process often aborts in native teardown after its last test ("corrupted
// size vs. prev_size"), which fails the run although every test passed.
await useBackend("wasm", { quiet: true, threads: 1 });

const dir = await Deno.makeTempDir({ prefix: "asmil-examples-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
const cohortDir = join(dir, "cohort");
const cohort = await exampleCohort(cohortDir);
/** Every tile of the cohort, cut once for the stage tests. */
const tiles = await Array.fromAsync(
  ReadableStream.from(cohort.slides).pipeThrough(exampleTiles()),
);

/** The tiny ONNX encoder the examples embed with here. */
const tinyEncoder = () =>
  OnnxEncoder.create({
    model: tinyOnnxModel({ dim: 16, seed: 1 }),
    name: "tiny",
    inputSize: 64,
    threads: 1,
  });

interface Truth {
  pen?: { colour: string; width: number; points: [number, number][] };
}
const truthOf = async (root: string, slide: string): Promise<Truth> =>
  JSON.parse(await Deno.readTextFile(join(root, `${slide}.truth.json`)));

/** Level-0 distance from the pen stroke's centre line to the tile's square. */
function strokeDistance(pen: NonNullable<Truth["pen"]>, tile: Tile): number {
  let best = Infinity;
  for (let s = 0; s + 1 < pen.points.length; s++) {
    const [ax, ay] = pen.points[s]!, [bx, by] = pen.points[s + 1]!;
    const steps = Math.ceil(Math.hypot(bx - ax, by - ay) / 2);
    for (let k = 0; k <= steps; k++) {
      const x = ax + (bx - ax) * k / steps, y = ay + (by - ay) * k / steps;
      const dx = Math.max(tile.x - x, 0, x - (tile.x + tile.size));
      const dy = Math.max(tile.y - y, 0, y - (tile.y + tile.size));
      best = Math.min(best, Math.hypot(dx, dy));
    }
  }
  return best;
}

/** `tile` out of focus: two box-blur passes per axis of `radius` pixels. */
function blurred(tile: Tile, radius: number): Tile {
  const { width: w, height: h } = tile;
  let src = Float32Array.from(tile.rgb);
  for (let pass = 0; pass < 4; pass++) {
    const [dx, dy] = pass % 2 === 0 ? [1, 0] : [0, 1];
    const out = new Float32Array(src.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0, n = 0;
          for (let k = -radius; k <= radius; k++) {
            const xx = x + k * dx, yy = y + k * dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            sum += src[(yy * w + xx) * 3 + c]!;
            n++;
          }
          out[(y * w + x) * 3 + c] = sum / n;
        }
      }
    }
    src = out;
  }
  return { ...tile, rgb: Uint8Array.from(src, Math.round) };
}

/** `tile` with a 40-pixel band of ink of `transmittance` (as the slide painter inks). */
function inked(
  tile: Tile,
  transmittance: readonly [number, number, number],
): Tile {
  const rgb = Uint8Array.from(tile.rgb);
  for (let y = 100; y < 140; y++) {
    for (let x = 0; x < tile.width; x++) {
      for (let c = 0; c < 3; c++) {
        const o = (y * tile.width + x) * 3 + c;
        // Coverage 0.8: streaky ink lets some light through.
        rgb[o] = Math.round(rgb[o]! * (1 - 0.8 * (1 - transmittance[c]!)));
      }
    }
  }
  return { ...tile, rgb };
}

Deno.test("TileFilterStream drops tiles blurred or inked green or black and keeps their sharp originals", async () => {
  const clean = tiles.filter((t) => judgeTile(t) === "kept").slice(0, 8);
  assert.equal(clean.length, 8);
  const green = [0.25, 0.62, 0.35] as const,
    black = [0.14, 0.14, 0.17] as const;
  const input = clean.flatMap((t) => [
    blurred(t, 3),
    t,
    inked(t, green),
    inked(t, black),
  ]);
  const dropped: [number, TileVerdict][] = [];
  const filter = new TileFilterStream({
    onDrop: (t, why) => dropped.push([input.indexOf(t), why]),
  });
  const out = await Array.fromAsync(
    ReadableStream.from(input).pipeThrough(filter),
  );
  assert.deepEqual(out, clean);
  assert.deepEqual(filter.counts, { kept: 8, blurred: 8, pen: 16 });
  assert.deepEqual(
    dropped,
    clean.flatMap((_, i) => [
      [4 * i, "blurred"],
      [4 * i + 2, "pen"],
      [4 * i + 3, "pen"],
    ]),
  );
});

Deno.test("TileFilterStream refuses a negative threshold", () => {
  assert.throws(
    () => new TileFilterStream({ minSharpness: -1 }),
    /minSharpness must be a non-negative number: current value is -1/,
  );
});

Deno.test("a stage of the wrong element type is a type error", async () => {
  const embeddings = ReadableStream.from<TileEmbedding>([]);
  // @ts-expect-error the filter takes tiles, not tile embeddings
  await Array.fromAsync(embeddings.pipeThrough(new TileFilterStream()));
  const bags = ReadableStream.from<Bag>([]);
  const target: LabStats = { mean: [0, 0, 0], std: [1, 1, 1] };
  // @ts-expect-error stain normalisation takes tiles, not bags
  await Array.fromAsync(bags.pipeThrough(new ReinhardStream({ target })));
});

Deno.test("runTileFilterExample drops the tiles the cohort's pen stroke crosses and trains on the rest", async () => {
  const outDir = join(dir, "tile_filter");
  const dropped: { tile: Tile; why: string }[] = [];
  const encoder = await tinyEncoder();
  try {
    const s = await runTileFilterExample({
      outDir,
      encoder,
      epochs: 2,
      onDrop: (tile, why) => dropped.push({ tile, why }),
    });
    assert.equal(s.counts.kept + s.counts.blurred + s.counts.pen, s.tiled);
    assert.equal(s.embedded, s.counts.kept);
    assert.deepEqual(s.events.map((e) => e.epoch), [0, 1]);
    assert.ok(s.counts.pen > 0, "the seed-1 cohort has inked tiles");
    for (const { tile, why } of dropped) {
      assert.equal(why, "pen");
      const pen = (await truthOf(join(outDir, "cohort"), tile.slideId)).pen;
      assert.ok(pen, `${tile.slideId} has no pen stroke`);
      assert.ok(
        strokeDistance(pen, tile) < pen.width / 2,
        `tile ${tile.index} of ${tile.slideId} is dropped but the stroke does not cross it`,
      );
    }
  } finally {
    await encoder.close();
  }
});

Deno.test("ReinhardStream gives every tile the target's lαβ channel means and standard deviations", async () => {
  const reference = cohort.slides[0]!.id;
  const target = labStats(tiles.filter((t) => t.slideId === reference));
  const out = await Array.fromAsync(
    ReadableStream.from(tiles).pipeThrough(new ReinhardStream({ target })),
  );
  assert.equal(out.length, tiles.length);
  // Rounding to 8 bits and clipping stretched colours at white leave these.
  const meanTolerance = [0.025, 0.01, 0.002];
  const after = out.map((t) => labStats([t]));
  for (const [i, tile] of out.entries()) {
    assert.equal(tile.index, tiles[i]!.index);
    const got = after[i]!;
    for (let c = 0; c < 3; c++) {
      const where = `tile ${tile.index} of ${tile.slideId}, channel ${c}`;
      assert.ok(
        Math.abs(got.mean[c]! - target.mean[c]!) < meanTolerance[c]!,
        `${where}: mean ${got.mean[c]} against ${target.mean[c]}`,
      );
      assert.ok(
        Math.abs(got.std[c]! / target.std[c]! - 1) < 0.3,
        `${where}: std ${got.std[c]} against ${target.std[c]}`,
      );
    }
  }
  // Slides stained differently look alike afterwards: the spread of their
  // mean colours shrinks.
  const before = tiles.map((t) => labStats([t]));
  const spread = (stats: LabStats[], c: number) => {
    const means = cohort.slides.map((s) => {
      const own = stats.filter((_, i) => tiles[i]!.slideId === s.id);
      return own.reduce((sum, t) => sum + t.mean[c]!, 0) / own.length;
    });
    return Math.max(...means) - Math.min(...means);
  };
  for (let c = 0; c < 3; c++) {
    assert.ok(spread(after, c) < spread(before, c) / 4, `channel ${c}`);
  }
});

Deno.test("reinhardNormalise() to a tile's own statistics gives the tile back", () => {
  for (const tile of tiles.slice(0, 5)) {
    const same = reinhardNormalise(tile, labStats([tile]));
    const worst = same.rgb.reduce(
      (m, v, i) => Math.max(m, Math.abs(v - tile.rgb[i]!)),
      0,
    );
    assert.ok(worst <= 1, `tile ${tile.index}: a value moved by ${worst}`);
  }
});

Deno.test("ReinhardStream refuses a target without three standard deviations", () => {
  assert.throws(
    () =>
      new ReinhardStream({
        target: { mean: [0, 0, 0], std: [1, 1] as unknown as LabStats["std"] },
      }),
    /target must have 3 finite means and 3 non-negative standard deviations/,
  );
});

Deno.test("runStainNormaliseExample takes the target from the first slide and trains on normalised tiles", async () => {
  const encoder = await tinyEncoder();
  try {
    const s = await runStainNormaliseExample({
      outDir: join(dir, "stain_normalise"),
      encoder,
      epochs: 2,
    });
    assert.equal(s.reference, cohort.slides[0]!.id);
    assert.deepEqual(
      s.target,
      labStats(tiles.filter((t) => t.slideId === s.reference)),
    );
    assert.equal(s.tiles, tiles.length);
    assert.deepEqual(s.events.map((e) => e.epoch), [0, 1]);
  } finally {
    await encoder.close();
  }
});

Deno.test("runAttentionSinkExample writes one Parquet row per tile and epoch, each slide's attention summing to 1", async () => {
  const outDir = join(dir, "attention_sink");
  const lines: StabilityLine[] = [];
  const encoder = await tinyEncoder();
  let attentionDir;
  try {
    attentionDir = await runAttentionSinkExample({
      outDir,
      encoder,
      epochs: 3,
      onEpoch: (l) => lines.push(l),
    });
  } finally {
    await encoder.close();
  }
  assert.deepEqual(lines.map((l) => l.epoch), [0, 1, 2]);
  for (const l of lines) assert.ok((await Deno.stat(l.path)).size > 0);
  const store = await openStore(join(outDir, "attention_sink.duckdb"), {
    readOnly: true,
  });
  try {
    const files = `'${join(attentionDir, "*.parquet")}'`;
    const [counts] = await store.query(
      `SELECT count(*) AS n, count(DISTINCT epoch) AS epochs,
         count(DISTINCT (slide, tile, epoch)) AS distinct_rows
       FROM read_parquet(${files})`,
    );
    assert.equal(Number(counts!.epochs), 3);
    assert.equal(Number(counts!.n), tiles.length * 3);
    assert.equal(Number(counts!.distinct_rows), tiles.length * 3);
    const sums = await store.query<{ total: number }>(
      `SELECT slide, epoch, sum(attention) AS total
       FROM read_parquet(${files}) GROUP BY slide, epoch`,
    );
    assert.equal(sums.length, cohort.slides.length * 3);
    for (const s of sums) assert.ok(Math.abs(s.total - 1) < 1e-3, `${s.total}`);
    // The stability line agrees with the trainer's own (validation slides).
    const recorded = await store.query<{ epoch: number; js: number }>(
      `SELECT epoch, (metrics->>'jsDivergence')::DOUBLE AS js FROM epochs
       WHERE run = 'attention_sink' ORDER BY epoch`,
    );
    assert.ok(Number.isNaN(lines[0]!.js));
    for (const l of lines.slice(1)) {
      const js = recorded[l.epoch]!.js;
      assert.ok(
        Math.abs(l.jsVal - js) <= 1e-8 + 0.05 * js,
        `epoch ${l.epoch}: ${l.jsVal} against the trainer's ${js}`,
      );
    }
  } finally {
    store.close();
  }
});

Deno.test("AttentionParquetSink refuses an event without an integer epoch", async () => {
  const store = await openStore(join(dir, "sink_refuses.duckdb"));
  try {
    const writer = new AttentionParquetSink({
      store,
      encoder: "tiny",
      dir: join(dir, "sink_refuses"),
      onEpoch: () => {},
    }).getWriter();
    await assert.rejects(
      writer.write({ run: "r", epoch: 1.5 } as EpochEvent),
      /non-negative integer epoch: got 1.5 for run "r"/,
    );
  } finally {
    store.close();
  }
});
