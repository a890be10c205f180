/**
 * Training at real-cohort scale: peak memory, seconds per epoch and bags/s with bags streamed from the store.
 *
 * Generates a WSI-like feature cohort straight into a store (default 400
 * slides × 10,000 tiles × 1024-d, 16 GB of features; resumable, so a second
 * run reuses it), then for each model, in its own process, trains `--epochs`
 * epochs (default 1) with per-epoch evaluation of the validation and test
 * slides, bags read one at a time from the store. Prints per model the
 * features' size, the child's peak RSS (VmHWM), seconds per epoch (whole
 * epoch: steps, evaluation, checkpoint, store writes), bags/s and the time
 * from process start to the first training bag.
 *
 * Options: `--slides 400`, `--tiles 10000` (each slide N ~ U[0.8, 1.2]·tiles),
 * `--dim 1024`, `--models gated_abmil,acmil,asmil`, `--epochs 1`,
 * `--store PATH` (default `runs/bench-scale/<slides>x<tiles>x<dim>.duckdb`),
 * `--threads N`, `--backend auto|blas|wasm`.
 *
 * @module
 */
import { join } from "node:path";
import "../models/all.ts";
import { buildModel } from "../models/anchor_factory.ts";
import { type BackendChoice, useBackend } from "../models/backend/mod.ts";
import { Store } from "../data/store.ts";
import { FeatureCohort } from "../data/synthetic/feature_cohort.ts";
import {
  SYNTHETIC_FEATURES_ENCODER,
  writeFeatureCohortToStore,
} from "../data/synthetic/feature_cohort_store.ts";
import { Progress } from "../core/progress.ts";
import type { BagSource } from "../stages/bag/bag_source.ts";
import { StoreBagSource } from "../stages/bag/bags_from_store.ts";
import { trainModel } from "../stages/train/trainer.ts";

interface Options {
  slides: number;
  tiles: number;
  dim: number;
  models: string[];
  epochs: number;
  store: string;
  threads?: number;
  backend: BackendChoice;
}

/** What one child reports. */
interface ChildReport {
  model: string;
  epochSeconds: number[];
  timing: Record<string, number>[];
  bags: number;
  firstBagSeconds: number;
  peakRssMiB: number;
}

function parse(args: string[]): Options & { child?: string } {
  const o: Options & { child?: string } = {
    slides: 400,
    tiles: 10_000,
    dim: 1024,
    models: ["gated_abmil", "acmil", "asmil"],
    epochs: 1,
    store: "",
    backend: "auto",
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i], v = () => String(args[++i]);
    if (a === "--slides") o.slides = Number(v());
    else if (a === "--tiles") o.tiles = Number(v());
    else if (a === "--dim") o.dim = Number(v());
    else if (a === "--models") o.models = v().split(",");
    else if (a === "--epochs") o.epochs = Number(v());
    else if (a === "--store") o.store = v();
    else if (a === "--threads") o.threads = Number(v());
    else if (a === "--backend") o.backend = v() as BackendChoice;
    else if (a === "--child") o.child = v();
    else throw new Error(`Unknown option ${a} (see bench/scale.ts)`);
  }
  for (const k of ["slides", "tiles", "dim", "epochs"] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) {
      throw new RangeError(
        `--${k} must be a positive integer: current value is ${o[k]}`,
      );
    }
  }
  o.store ||= join(
    "runs",
    "bench-scale",
    `${o.slides}x${o.tiles}x${o.dim}.duckdb`,
  );
  return o;
}

function cohortOf(o: Options): FeatureCohort {
  return new FeatureCohort({
    slides: o.slides,
    minTiles: Math.round(o.tiles * 0.8),
    maxTiles: Math.round(o.tiles * 1.2),
    dim: o.dim,
    seed: 1,
  });
}

/** Peak resident set of this process, MiB (Linux). */
function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? NaN);
  return kb / 1024;
}

async function child(model: string, o: Options): Promise<ChildReport> {
  await useBackend(o.backend, {
    quiet: true,
    ...(o.threads ? { threads: o.threads } : {}),
  });
  const store = await Store.open(o.store);
  const out = await Deno.makeTempDir({ prefix: "asmil-scale-" });
  try {
    const opened = await StoreBagSource.open(store, {
      encoder: SYNTHETIC_FEATURES_ENCODER,
    });
    let firstBagSeconds = NaN;
    const source: BagSource = {
      infos: opened.infos,
      async read(id) {
        const bag = await opened.read(id);
        if (Number.isNaN(firstBagSeconds)) {
          firstBagSeconds = performance.now() / 1000;
        }
        return bag;
      },
    };
    const instance = buildModel(model, {
      inputDim: opened.infos[0]!.dim,
      numClasses: 2,
      seed: 1,
    });
    const report: ChildReport = {
      model,
      epochSeconds: [],
      timing: [],
      bags: opened.infos.length,
      firstBagSeconds: 0,
      peakRssMiB: 0,
    };
    for await (
      const e of trainModel(instance, source, {
        runId: `bench-scale-${model}-${Date.now()}`,
        epochs: o.epochs,
        store,
        outDir: out,
        quiet: true,
      })
    ) {
      report.epochSeconds.push(e.seconds);
      report.timing.push(e.timing);
    }
    instance.dispose();
    report.firstBagSeconds = firstBagSeconds;
    report.peakRssMiB = peakRssMiB();
    return report;
  } finally {
    store.close();
    await Deno.remove(out, { recursive: true });
  }
}

async function generate(o: Options): Promise<void> {
  await Deno.mkdir(join(o.store, ".."), { recursive: true });
  const store = await Store.open(o.store);
  try {
    const [done] = await store.query(
      "SELECT count(DISTINCT slide) AS n FROM embeddings WHERE encoder = ?",
      [SYNTHETIC_FEATURES_ENCODER],
    );
    if (Number(done?.n ?? 0) === o.slides) {
      console.log(`cohort: ${o.slides} slides already in ${o.store}, reused`);
      return;
    }
    const cohort = cohortOf(o);
    const progress = new Progress("generate", {
      total: o.slides,
      unit: "slides",
    });
    const t0 = performance.now();
    const summary = await writeFeatureCohortToStore(cohort, store, {
      onSlide: () => progress.tick(1),
    });
    progress.done();
    const seconds = (performance.now() - t0) / 1000;
    const mb = summary.tiles * o.dim * 4 / 1e6;
    console.log(
      `cohort: ${summary.written.length} slides written (${summary.skipped.length} already there)${
        summary.written.length
          ? `, ${mb.toFixed(0)} MB of features in ${seconds.toFixed(0)} s (${
            (mb / seconds).toFixed(0)
          } MB/s)`
          : ""
      }`,
    );
  } finally {
    store.close();
  }
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  const o = parse(args);
  if (o.child) {
    console.log(JSON.stringify(await child(o.child, o)));
    return;
  }
  await generate(o);
  const store = await Store.open(o.store, { readOnly: true });
  const [row] = await store.query(
    `SELECT count(*) AS tiles, count(DISTINCT slide) AS slides FROM embeddings
     WHERE encoder = ?`,
    [SYNTHETIC_FEATURES_ENCODER],
  );
  store.close();
  const tiles = Number(row?.tiles ?? 0);
  const featuresGB = tiles * o.dim * 4 / 1e9;
  const fileGB = (await Deno.stat(o.store)).size / 1e9;
  console.log(
    `store ${o.store}: ${row?.slides} slides, ${tiles} tiles × ${o.dim}: ${
      featuresGB.toFixed(2)
    } GB of features, file ${fileGB.toFixed(2)} GB`,
  );
  console.log(
    "model          features GB  peak RSS GB  s/epoch  first 5 / last 5  bags/s  first bag s  last epoch's parts (s)",
  );
  for (const model of o.models) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        // Reading /proc/self/status (peak RSS) needs every permission.
        "--allow-all",
        new URL(import.meta.url).pathname,
        ...args,
        "--child",
        model,
      ],
    }).output();
    if (code !== 0) {
      throw new Error(
        `bench scale: ${model} failed:\n${new TextDecoder().decode(stderr)}`,
      );
    }
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    const r = JSON.parse(lines.at(-1)!) as ChildReport;
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const perEpoch = mean(r.epochSeconds);
    const ends = `${mean(r.epochSeconds.slice(0, 5)).toFixed(2)} / ${
      mean(r.epochSeconds.slice(-5)).toFixed(2)
    }`;
    const parts = r.timing.at(-1) ?? {};
    console.log(
      `${model.padEnd(14)} ${featuresGB.toFixed(2).padStart(11)}  ${
        (r.peakRssMiB / 1024).toFixed(2).padStart(11)
      }  ${perEpoch.toFixed(2).padStart(7)}  ${ends.padStart(16)}  ${
        (r.bags / perEpoch).toFixed(2).padStart(6)
      }  ${r.firstBagSeconds.toFixed(2).padStart(11)}  ${
        Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(
          ", ",
        )
      }`,
    );
  }
}

if (import.meta.main) await run(Deno.args);
