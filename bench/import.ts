/**
 * MB/s and peak memory of `import-features` on generated CLAM and ACMIL h5 files.
 *
 * Generates a CLAM-layout folder (one `.h5` per slide, float32 `features`)
 * and one ACMIL-layout file (a group per slide, float16 `feat`) of
 * `--slides` × `--tiles` × `--dim`, then runs each step in a fresh child
 * process and prints MB of features (as float32, what goes into the store),
 * seconds, MB/s and the child's peak RSS (VmHWM):
 *
 * - `read`: the h5 side alone, as the import reads (row blocks, finiteness
 *   checked); for ACMIL this includes the float16 decode, also timed alone
 *   as `decode`;
 * - `write`: the store side alone — the same per-slide transactions
 *   (`replaceTiles`, `replaceEmbeddings`) with features already in memory;
 * - `import`: `importFeatures` into a fresh store file.
 *
 * Options: `--slides 8`, `--tiles 10000`, `--dim 1024`, `--layouts
 * clam,acmil`, `--steps read,write,import`.
 *
 * @module
 */
import * as h5wasm from "h5wasm";
import { Store } from "../data/store.ts";
import {
  dataset,
  type DiskTrace,
  matrixShape,
  readMatrix,
  readRows,
  withH5File,
} from "../stages/embed/h5_file.ts";
import { importFeatures } from "../stages/embed/import_features.ts";
import {
  fixtureCoords,
  fixtureFeatures,
  fixtureSlideId,
  writeAcmilFile,
  writeClamFolder,
} from "../testing/h5_fixtures.ts";

type Layout = "clam" | "acmil";
type Step = "read" | "write" | "import";

interface ChildTask {
  step: Step;
  layout: Layout;
  files: string[];
  labels: string;
  store: string;
  slides: number;
  tiles: number;
  dim: number;
}

interface ChildResult {
  seconds: number;
  peakRssMB: number;
  /** Bytes HDF5 read from disk and its largest single read (read step). */
  disk?: { bytes: number; largest: number };
  /** Seconds of float16 → float32 conversion alone for the same data. */
  decodeSeconds?: number;
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  let slides = 8, tiles = 10_000, dim = 1024;
  let layouts: Layout[] = ["clam", "acmil"];
  let steps: Step[] = ["read", "write", "import"];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--slides") slides = Number(args[++i]);
    else if (a === "--tiles") tiles = Number(args[++i]);
    else if (a === "--dim") dim = Number(args[++i]);
    else if (a === "--layouts") {
      layouts = String(args[++i]).split(",") as Layout[];
    } else if (a === "--steps") steps = String(args[++i]).split(",") as Step[];
    else throw new Error(`Unknown option ${a}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "asmil-bench-import-" });
  try {
    const labels = `${dir}/labels.csv`;
    await Deno.writeTextFile(
      labels,
      "slide_id,label\n" +
        Array.from(
          { length: slides },
          (_, s) => `${fixtureSlideId(s)},${s % 2}\n`,
        )
          .join(""),
    );
    const files: Record<Layout, string[]> = { clam: [], acmil: [] };
    const t0 = performance.now();
    if (layouts.includes("clam")) {
      files.clam = await writeClamFolder(`${dir}/clam`, { slides, tiles, dim });
    }
    if (layouts.includes("acmil")) {
      await writeAcmilFile(`${dir}/acmil.h5`, { slides, tiles, dim });
      files.acmil = [`${dir}/acmil.h5`];
    }
    const mb = slides * tiles * dim * 4 / 1e6;
    console.log(
      `import-features: ${slides} slides × ${tiles} tiles × ${dim} (${
        mb.toFixed(1)
      } MB as float32), files generated in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    console.log(
      "layout  file MB  step     seconds    MB/s  peak RSS MB  notes",
    );
    for (const layout of layouts) {
      let fileMB = 0;
      for (const f of files[layout]) fileMB += (await Deno.stat(f)).size / 1e6;
      for (const step of steps) {
        const store = `${dir}/${layout}_${step}.duckdb`;
        const r = await child({
          step,
          layout,
          files: files[layout],
          labels,
          store,
          slides,
          tiles,
          dim,
        });
        await Deno.remove(store).catch(() => {});
        await Deno.remove(`${store}.wal`).catch(() => {});
        const notes = r.disk
          ? `read ${
            (r.disk.bytes / 1e6).toFixed(0)
          } MB from disk, largest read ${
            (r.disk.largest / 2 ** 20).toFixed(1)
          } MiB`
          : "";
        console.log(
          row(layout, fileMB, step, mb, r.seconds, r.peakRssMB, notes),
        );
        if (r.decodeSeconds !== undefined) {
          console.log(
            row(
              layout,
              fileMB,
              "decode",
              mb,
              r.decodeSeconds,
              NaN,
              "(in read)",
            ),
          );
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function row(
  layout: string,
  fileMB: number,
  step: string,
  mb: number,
  seconds: number,
  rss: number,
  notes: string,
): string {
  return `${layout.padEnd(6)} ${fileMB.toFixed(1).padStart(8)}  ${
    step.padEnd(7)
  } ${seconds.toFixed(2).padStart(8)} ${
    (mb / seconds).toFixed(1).padStart(7)
  }  ${
    Number.isNaN(rss) ? "".padStart(11) : rss.toFixed(0).padStart(11)
  }  ${notes}`;
}

/** Runs one step in a fresh Deno process so its peak RSS is its own. */
async function child(task: ChildTask): Promise<ChildResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all", // reading /proc/self/status needs all permissions
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      new URL(import.meta.url).pathname,
      JSON.stringify(task),
    ],
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`bench child for ${task.layout} ${task.step} failed`);
  }
  return JSON.parse(text.split("\n").at(-1)!) as ChildResult;
}

function peakRssMB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

async function runChild(task: ChildTask): Promise<ChildResult> {
  await h5wasm.ready; // module start-up (~0.3 s) is not the import's
  const t0 = performance.now();
  const result: ChildResult = { seconds: 0, peakRssMB: 0 };
  if (task.step === "read") {
    const disk = { bytes: 0, largest: 0 };
    const into = new Float32Array(task.tiles * task.dim); // as the import does
    for (const file of task.files) {
      await withH5File(file, async (h5, trace: DiskTrace) => {
        const groups = task.layout === "acmil" ? h5.keys() : ["/"];
        for (const name of groups) {
          const group = name === "/" ? h5 : h5.get(name) as h5wasm.Group;
          const feat = dataset(
            group,
            task.layout === "acmil" ? "feat" : "features",
            file,
          );
          const { rows } = matrixShape(feat, file);
          await readRows(feat, file, 0, rows, {
            into: into.subarray(0, rows * task.dim),
            onBlock: (data, from, to) => {
              for (let i = from * task.dim; i < to * task.dim; i++) {
                if (!Number.isFinite(data[i]!)) throw new Error("non-finite");
              }
            },
          });
          await readMatrix(dataset(group, "coords", file), file);
        }
        disk.bytes += trace.bytesRead;
        disk.largest = Math.max(disk.largest, trace.largestRead);
      });
    }
    result.disk = disk;
    result.seconds = (performance.now() - t0) / 1000;
    if (task.layout === "acmil") {
      // the conversion readRows does, alone, into the same buffer
      const half = new Float16Array(task.tiles * task.dim);
      const t1 = performance.now();
      for (let s = 0; s < task.slides; s++) into.set(half);
      result.decodeSeconds = (performance.now() - t1) / 1000;
    }
  } else if (task.step === "write") {
    const features = fixtureFeatures(0, task.tiles, task.dim);
    const coords = fixtureCoords(task.tiles);
    const store = await Store.open(task.store);
    const t1 = performance.now();
    for (let s = 0; s < task.slides; s++) {
      const id = fixtureSlideId(s);
      await store.slideTransaction(id, async (tx) => {
        await tx.upsertSlide({ id, path: id, label: String(s % 2) });
        await tx.replaceTiles(
          id,
          Array.from({ length: task.tiles }, (_, tile) => ({
            tile,
            x: coords[2 * tile]!,
            y: coords[2 * tile + 1]!,
            size: 256,
            level: 0,
          })),
        );
        await tx.replaceEmbeddings(
          id,
          task.layout,
          Array.from({ length: task.tiles }, (_, tile) => ({
            tile,
            features: features.subarray(tile * task.dim, (tile + 1) * task.dim),
          })),
        );
      });
    }
    result.seconds = (performance.now() - t1) / 1000;
    store.close();
  } else {
    const store = await Store.open(task.store);
    const t1 = performance.now();
    await importFeatures({
      files: task.files,
      format: task.layout,
      labels: task.labels,
      store,
    });
    result.seconds = (performance.now() - t1) / 1000;
    store.close();
  }
  result.peakRssMB = peakRssMB();
  return result;
}

if (import.meta.main) {
  const task = JSON.parse(Deno.args[0] ?? "{}") as ChildTask;
  console.log(JSON.stringify(await runChild(task)));
}
