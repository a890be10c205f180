/**
 * Default encoder (MobileNetV2, ONNX) ms/tile and tiles/s, alone and inside the embed stage.
 *
 * For each thread count and batch size: the encoder alone on batches already
 * resized and normalised (`infer`), the encoder with its own resize
 * (`embed`, 256² tiles → 224²), and the whole stage (tiles → EmbedStream →
 * per-slide DuckDB transactions; also without the store) on the same tiles, with the stage's
 * throughput as a share of `infer` alone (target ≥ 80 %). Also the
 * resize itself: the TypeScript bilinear resize vs sharp.
 *
 * Options: `--quick`, `--tiles 512`, `--batch 32,64`, `--threads 1,2`,
 * `--tile-size 256`, `--slides 4`, `--repeat 3` (best of, interleaved).
 *
 * @module
 */
import sharp from "sharp";
import { Store } from "../data/store.ts";
import { Rng } from "../core/random.ts";
import type { Tile } from "../core/types.ts";
import { EmbedStream } from "../stages/embed/embed_stream.ts";
import type { Encoder } from "../stages/embed/encoder.ts";
import { createMobileNetV2Encoder } from "../stages/embed/mobilenet_v2.ts";
import { toNchw } from "../stages/embed/preprocess.ts";

interface Config {
  tiles: number;
  batches: number[];
  threads: number[];
  tileSize: number;
  slides: number;
  repeat: number;
}

function parse(args: string[]): Config {
  const c: Config = {
    tiles: 512,
    batches: [32, 64],
    threads: [1, 2],
    tileSize: 256,
    slides: 4,
    repeat: 3,
  };
  const ints = (flag: string, v: string | undefined) => {
    const xs = (v ?? "").split(",").map(Number);
    if (xs.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new Error(
        `${flag} expects comma-separated positive integers: got "${v}"`,
      );
    }
    return xs;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === "--quick") c.tiles = 128;
    else if (flag === "--tiles") c.tiles = ints(flag, args[++i])[0]!;
    else if (flag === "--batch") c.batches = ints(flag, args[++i]);
    else if (flag === "--threads") c.threads = ints(flag, args[++i]);
    else if (flag === "--tile-size") c.tileSize = ints(flag, args[++i])[0]!;
    else if (flag === "--slides") c.slides = ints(flag, args[++i])[0]!;
    else if (flag === "--repeat") c.repeat = ints(flag, args[++i])[0]!;
    else {throw new Error(
        `Unknown option ${flag}: see the doc comment of bench/embed.ts`,
      );}
  }
  return c;
}

/** Tiles of `slides` slides cut from a pool of random RGB tiles. */
function makeTiles(c: Config): Tile[] {
  const rng = new Rng(1);
  const pool = Array.from({ length: 16 }, () => {
    const rgb = new Uint8Array(c.tileSize * c.tileSize * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(256);
    return rgb;
  });
  const perSlide = Math.ceil(c.tiles / c.slides);
  return Array.from({ length: c.tiles }, (_, i) => ({
    slideId: `bench-${Math.floor(i / perSlide)}`,
    index: i % perSlide,
    x: (i % perSlide) * c.tileSize,
    y: 0,
    size: c.tileSize,
    level: 0,
    tissueFraction: 1,
    rgb: pool[i % pool.length]!.slice(), // a fresh buffer, as a reader would give
    width: c.tileSize,
    height: c.tileSize,
  }));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function chunks<T>(xs: T[], n: number): T[][] {
  return Array.from(
    { length: Math.ceil(xs.length / n) },
    (_, i) => xs.slice(i * n, (i + 1) * n),
  );
}

async function inferAlone(encoder: Encoder, tiles: Tile[], batch: number) {
  const prepared = chunks(tiles, batch).map((b) => encoder.prepare(b));
  return await timed(async () => {
    for (const p of prepared) await encoder.infer(p);
  });
}

async function embedAlone(encoder: Encoder, tiles: Tile[], batch: number) {
  return await timed(async () => {
    for (const b of chunks(tiles, batch)) await encoder.embed(b);
  });
}

async function stage(
  encoder: Encoder,
  tiles: Tile[],
  batch: number,
  withStore: boolean,
) {
  const store = await Store.open(":memory:");
  try {
    let n = 0;
    const ms = await timed(async () => {
      const out = ReadableStream.from(tiles).pipeThrough(
        new EmbedStream({
          encoder,
          batchSize: batch,
          ...(withStore ? { store } : {}),
        }),
      );
      for await (const _ of out) n++;
    });
    if (n !== tiles.length) {
      throw new Error(`stage emitted ${n} of ${tiles.length} embeddings`);
    }
    return ms;
  } finally {
    store.close();
  }
}

async function resizeComparison(tiles: Tile[]) {
  const sample = tiles.slice(0, 64);
  const ts = await timed(() =>
    Promise.resolve(toNchw(sample, 224, [0, 0, 0], [1, 1, 1]))
  );
  const sh = await timed(() =>
    Promise.all(
      sample.map((t) =>
        sharp(t.rgb, { raw: { width: t.width, height: t.height, channels: 3 } })
          .resize(224, 224, { kernel: "linear", fit: "fill" }).raw().toBuffer()
      ),
    )
  );
  return { ts: ts / sample.length, sharp: sh / sample.length };
}

/** Runs the embed benchmark and prints a table. */
export async function run(args: string[]): Promise<void> {
  const c = parse(args);
  const tiles = makeTiles(c);
  console.log(
    `# embed: ${c.tiles} tiles of ${c.tileSize}² in ${c.slides} slides → MobileNetV2 224² (1280-d), ${navigator.hardwareConcurrency} cores\n`,
  );
  console.log(
    `load average at start: ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(", ")
    }`,
  );
  await resizeComparison(tiles); // warm-up (JIT)
  const r = await resizeComparison(tiles);
  console.log(
    `resize ${c.tileSize}²→224² + normalise, ms/tile: TypeScript bilinear ${
      r.ts.toFixed(2)
    }, ` +
      `sharp linear (resize only, to bytes, libuv pool) ${
        r.sharp.toFixed(2)
      }\n`,
  );
  console.log(
    "| threads | batch | infer ms/tile | infer tiles/s | embed tiles/s | stage, no store, tiles/s | stage tiles/s | stage / infer |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const threads of c.threads) {
    const encoder = await createMobileNetV2Encoder({ threads });
    try {
      await encoder.embed(tiles.slice(0, Math.min(8, tiles.length))); // warm-up
      for (const batch of c.batches) {
        let infer = Infinity,
          embed = Infinity,
          staged = Infinity,
          bare = Infinity;
        for (let r = 0; r < c.repeat; r++) { // interleaved, best of each
          infer = Math.min(infer, await inferAlone(encoder, tiles, batch));
          embed = Math.min(embed, await embedAlone(encoder, tiles, batch));
          staged = Math.min(staged, await stage(encoder, tiles, batch, true));
          bare = Math.min(bare, await stage(encoder, tiles, batch, false));
        }
        const tps = (ms: number) => (tiles.length / ms) * 1000;
        console.log(
          `| ${threads} | ${batch} | ${(infer / tiles.length).toFixed(2)} | ${
            tps(infer).toFixed(1)
          } | ` +
            `${tps(embed).toFixed(1)} | ${tps(bare).toFixed(1)} | ${
              tps(staged).toFixed(1)
            } | ${((100 * infer) / staged).toFixed(0)} % |`,
        );
      }
    } finally {
      await encoder.close();
    }
  }
}
