/**
 * Tile stage throughput vs a bare OpenSlide read loop over the same tiles.
 *
 * On a synthetic cohort (written once under `.cache/bench/tile-cohort`), it
 * runs the whole tile stage (open, thumbnail, tissue mask, grid, reads with
 * prefetch, ARGB→RGB, ground-truth labels; no store unless `--store`), then
 * a bare loop that only opens each slide and calls `openslide_read_region`
 * for the same level-0 coordinates one after another. Both are repeated
 * (`--reps`, alternating) and the best time of each is compared, which is
 * robust when other processes share the cores. Reports tiles/s, CPU time
 * per tile (all threads, getrusage), the throughput ratio bare/stage time
 * (target ≥ 0.9), the same ratio in CPU time (what the stage costs beyond
 * decoding, independent of other load), and the process's peak RSS.
 *
 * Options: `--slides 6`, `--reps 2`, `--reader openslide|sharp|auto`,
 * `--store` (write to an in-memory run store), `--dir DIR` (tile an existing
 * folder of slides instead).
 *
 * @module
 */
import { writeSyntheticCohort } from "../data/synthetic/cohort.ts";
import { openStore } from "../data/store.ts";
import type { ReaderKind } from "../stages/tile/open_slide.ts";
import { listSlides } from "../stages/tile/slide_list.ts";
import { TileStream } from "../stages/tile/tile_stream.ts";
import type { SlideRef } from "../core/types.ts";

interface Config {
  slides: number;
  reps: number;
  reader: ReaderKind;
  store: boolean;
  dir?: string;
}

interface Read {
  x: number;
  y: number;
  level: number;
  size: number;
}

function parse(args: string[]): Config {
  const config: Config = {
    slides: 6,
    reps: 2,
    reader: "openslide",
    store: false,
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i], value = args[i + 1];
    const int = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`${flag} expects a positive integer: got "${value}"`);
      }
      i++;
      return n;
    };
    if (flag === "--slides") config.slides = int();
    else if (flag === "--reps") config.reps = int();
    else if (flag === "--store") config.store = true;
    else if (flag === "--dir" && value) {
      config.dir = value;
      i++;
    } else if (
      flag === "--reader" &&
      (value === "openslide" || value === "sharp" || value === "auto")
    ) {
      config.reader = value;
      i++;
    } else {throw new Error(
        `Unknown option "${flag}": expected --slides, --reps, --reader, --store or --dir`,
      );}
  }
  return config;
}

/**
 * This process's resource usage (getrusage via FFI): CPU time of all its
 * threads in seconds and peak RSS in MiB.
 */
function usage(): { cpu: number; peakRssMiB: number } {
  const libc = Deno.dlopen("libc.so.6", {
    getrusage: { parameters: ["i32", "buffer"], result: "i32" },
  });
  try {
    // struct rusage on x86-64: ru_utime, ru_stime (timeval: s, µs), then ru_maxrss in KiB.
    const u = new BigInt64Array(18);
    if (libc.symbols.getrusage(0, u) !== 0) throw new Error("getrusage failed");
    const seconds = (i: number) => Number(u[i]) + Number(u[i + 1]) / 1e6;
    return { cpu: seconds(0) + seconds(2), peakRssMiB: Number(u[4]) / 1024 };
  } finally {
    libc.close();
  }
}

async function stageRun(slides: SlideRef[], config: Config) {
  const store = config.store ? await openStore(":memory:") : undefined;
  const reads = new Map<string, Read[]>();
  const started = performance.now(), cpu = usage().cpu;
  const stage = new TileStream({
    reader: config.reader,
    ...(store ? { store } : {}),
    warn: () => {},
  });
  let tiles = 0;
  for await (const t of ReadableStream.from(slides).pipeThrough(stage)) {
    tiles++;
    const list = reads.get(t.slideId) ?? [];
    list.push({ x: t.x, y: t.y, level: t.level, size: t.width });
    reads.set(t.slideId, list);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = usage().cpu - cpu;
  store?.close();
  return { tiles, seconds, cpuSeconds, reads };
}

const bare = {
  openslide_open: { parameters: ["buffer"], result: "pointer" },
  openslide_close: { parameters: ["pointer"], result: "void" },
  openslide_read_region: {
    parameters: ["pointer", "buffer", "i64", "i64", "i32", "i64", "i64"],
    result: "void",
  },
} as const;

function bareRun(slides: SlideRef[], reads: Map<string, Read[]>) {
  const lib = Deno.dlopen("libopenslide.so.0", bare).symbols;
  const started = performance.now(), cpu = usage().cpu;
  let tiles = 0;
  for (const slide of slides) {
    const list = reads.get(slide.id) ?? [];
    if (list.length === 0) continue;
    const osr = lib.openslide_open(new TextEncoder().encode(slide.path + "\0"));
    if (osr === null) {
      throw new Error(`bare loop: OpenSlide cannot open ${slide.path}`);
    }
    for (const r of list) {
      const buf = new Uint32Array(r.size * r.size);
      lib.openslide_read_region(
        osr,
        buf,
        BigInt(r.x),
        BigInt(r.y),
        r.level,
        BigInt(r.size),
        BigInt(r.size),
      );
      tiles++;
    }
    lib.openslide_close(osr);
  }
  return {
    tiles,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: usage().cpu - cpu,
  };
}

/** Runs the benchmark (called by `deno task bench tile`). */
export async function run(args: string[]): Promise<void> {
  const config = parse(args);
  let dir = config.dir;
  if (!dir) {
    dir = ".cache/bench/tile-cohort";
    const t = performance.now();
    const cohort = await writeSyntheticCohort({
      outDir: dir,
      slides: config.slides,
      seed: 0,
    });
    console.log(
      `cohort: ${cohort.slides.length} synthetic slides in ${dir} (${
        cohort.reused
          ? "reused"
          : `written in ${((performance.now() - t) / 1000).toFixed(1)} s`
      })`,
    );
  }
  const slides = await listSlides(dir);
  const stageTimes: number[] = [], bareTimes: number[] = [];
  const stageCpu: number[] = [], bareCpu: number[] = [];
  let tiles = 0, reads = new Map<string, Read[]>();
  for (let rep = 0; rep < config.reps; rep++) {
    const s = await stageRun(slides, config);
    tiles = s.tiles;
    reads = s.reads;
    stageTimes.push(s.seconds);
    stageCpu.push(s.cpuSeconds);
    const b = bareRun(slides, reads);
    if (b.tiles !== tiles) {
      throw new Error(`bare loop read ${b.tiles} tiles, the stage ${tiles}`);
    }
    bareTimes.push(b.seconds);
    bareCpu.push(b.cpuSeconds);
  }
  const bestStage = Math.min(...stageTimes), bestBare = Math.min(...bareTimes);
  const ratio = bestBare / bestStage;
  console.log(
    `slides ${slides.length}, tiles ${tiles} (256 px at 0.5 µm/px), reader ${config.reader}${
      config.store ? ", store" : ""
    }`,
  );
  const perTile = (xs: number[]) =>
    ((1000 * Math.min(...xs)) / tiles).toFixed(2).padStart(9);
  console.log(
    "run                      best s   tiles/s   CPU ms/tile   all runs (s)",
  );
  const row = (name: string, best: number, cpu: number[], all: number[]) =>
    console.log(
      `${name.padEnd(20)} ${best.toFixed(2).padStart(8)}  ${
        (tiles / best).toFixed(0).padStart(8)
      }  ${perTile(cpu)}     ${all.map((t) => t.toFixed(2)).join(", ")}`,
    );
  row("tile stage", bestStage, stageCpu, stageTimes);
  row("bare openslide loop", bestBare, bareCpu, bareTimes);
  const cpuRatio = Math.min(...bareCpu) / Math.min(...stageCpu);
  console.log(
    `stage/bare throughput ratio ${ratio.toFixed(2)} (target ≥ 0.90: ${
      ratio >= 0.9 ? "met" : "NOT met"
    }); ` +
      `CPU-time ratio ${cpuRatio.toFixed(2)}; peak RSS ${
        usage().peakRssMiB.toFixed(0)
      } MiB`,
  );
}

if (import.meta.main) await run(Deno.args);
