/**
 * The anchor ablation: four models × five anchor configurations × seeds on three sources, one table of paired differences.
 *
 * `deno task bench anchor-ablation [--dir runs/ablation] [--seeds 3]
 * [--tables-only] [--parallel 2]` runs `asmil experiment` once per source
 * (MNIST-bags with 100 bags, the WSI-like feature cohort, the synthetic
 * slide cohort) with `--anchors none,ema,stable,teacher` on ASMIL, gated
 * ABMIL, CLAM-SB and TransMIL (the feature cohort as a job array of
 * `--parallel` tasks, then `--collect`), each into its own store under
 * `--dir`; finished runs are skipped, so an interrupted ablation resumes.
 * Then it reads the three experiments' `intervals.csv` and
 * `differences.csv` and writes `anchor-ablation.md` and
 * `anchor-ablation.csv` to `--dir`: per source, model and variant the test
 * AUC with its interval, and the paired differences to the unanchored
 * model (AUC, JS divergence over the last half, as a ratio too, top-k
 * overlap, effective patches, localisation AUC), with `*` where the 95 %
 * interval excludes 0.
 *
 * The variants form a ladder, each adding to the one before: `ema` the
 * method as specified; `stable` (the preset) its loss summed over
 * instances and divided by ln N, the momentum ramp 0.99 → 0.999 over 10
 * epochs and a 5-epoch warm-up; `teacher` the same with the target taken
 * from the anchor's own attention (softmax at τ 1) instead of its
 * normalized sigmoid at τ 0.5.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { csvRecords } from "../core/csv.ts";
import { asmilArgs } from "../testing/asmil_process.ts";
import { DEMO } from "../pipeline/commands/demo.ts";

/** The variants the ablation defines beyond the built-in ones. */
export const ABLATION_VARIANTS = {
  teacher: { preset: "stable", target: "softmax", tau: 1 },
} as const;

/** The configurations, in ladder order. */
export const ABLATION_ANCHORS = ["none", "ema", "stable", "teacher"] as const;

/** The models every variant runs on. */
export const ABLATION_MODELS = [
  "asmil",
  "gated_abmil",
  "clam_sb",
  "transmil",
] as const;

/** One source of the ablation and its protocol. */
interface Source {
  key: string;
  data: string;
  lr: string;
  epochs: number;
  /** Extra data options. */
  extra?: string[];
}

const SOURCES: readonly Source[] = [
  {
    key: "mnist",
    data: "mnist-bags",
    lr: "5e-4",
    epochs: 20,
    extra: ["--bags", "100"],
  },
  { key: "cohort", data: "cohort", lr: "1e-4", epochs: 20 },
  {
    key: "synthetic",
    data: "synthetic",
    lr: "5e-4",
    epochs: 20,
    // The pipeline demo's ASMIL width: at its default (640 for 1280-d
    // MobileNetV2 features) ASMIL does not learn this cohort at lr 5e-4.
    extra: [
      "--model-options",
      JSON.stringify({ asmil: DEMO.asmilOptions }),
    ],
  },
];

function experimentArgs(dir: string, s: Source, seeds: number): string[] {
  return [
    "--db",
    join(dir, `${s.key}.duckdb`),
    "--quiet",
    "experiment",
    "--data",
    s.data,
    ...(s.extra ?? []),
    "--lr",
    s.lr,
    "--epochs",
    String(s.epochs),
    "--seeds",
    String(seeds),
    "--models",
    ABLATION_MODELS.join(","),
    "--anchors",
    ABLATION_ANCHORS.join(","),
    "--anchor-variants",
    JSON.stringify(ABLATION_VARIANTS),
    "--threads",
    "1",
    "--out",
    join(dir, `${s.key}-out`),
    "--name",
    `ablation-${s.key}`,
  ];
}

async function asmil(args: string[], log: string): Promise<void> {
  const file = await Deno.open(log, {
    create: true,
    append: true,
  });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: asmilArgs(args),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await Promise.all([
      child.stdout.pipeTo(file.writable, { preventClose: true }),
      child.stderr.pipeTo(
        new WritableStream({ write: (c) => void file.writeSync(c) }),
      ),
    ]);
    const { code } = await child.status;
    if (code !== 0) {
      throw new Error(`asmil ${args.join(" ")} exited ${code}: see ${log}`);
    }
  } finally {
    file.close();
  }
}

/** Runs (or resumes) the three experiments. */
async function runAblation(
  dir: string,
  seeds: number,
  parallel: number,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const s of SOURCES) {
    const args = experimentArgs(dir, s, seeds);
    const log = join(dir, `${s.key}.log`);
    console.error(`anchor-ablation: ${s.key} (log ${log})`);
    if (parallel > 1) {
      await asmil([...args, "--plan"], log);
      await Promise.all(
        [...Array(parallel).keys()].map((i) =>
          asmil([...args, "--task", `${i}/${parallel}`], log)
        ),
      );
      await asmil([...args, "--collect"], log);
    } else {
      await asmil(args, log);
    }
  }
}

type Row = Record<string, string>;

/**
 * `mean [lo, hi]` with `digits` decimals, and `*` when the interval
 * excludes 0 (for differences).
 *
 * @example
 * ```ts
 * import { interval } from "./anchor_ablation.ts";
 * if (interval(0.1234, 0.01, 0.2, 2, true) !== "+0.12 [+0.01, +0.20] *") throw new Error();
 * ```
 */
export function interval(
  mean: number,
  lo: number,
  hi: number,
  digits: number,
  difference = false,
): string {
  const f = (x: number) =>
    (difference && x >= 0 ? "+" : "") + x.toFixed(digits);
  const star = difference && (lo > 0 || hi < 0) ? " *" : "";
  return `${f(mean)} [${f(lo)}, ${f(hi)}]${star}`;
}

/** The combined tables of the three experiments' CSVs. */
async function tables(dir: string): Promise<{ md: string; csv: string }> {
  const md: string[] = [];
  const csv: string[] = [
    "source,model,anchor,runs,auc,auc_lo,auc_hi,d_auc,d_auc_lo,d_auc_hi,js_last_half,js_ratio,d_js,d_js_lo,d_js_hi,d_topk,d_topk_lo,d_topk_hi,effective_patches,d_effective_patches,d_effective_patches_lo,d_effective_patches_hi,d_localisation_auc,d_localisation_auc_lo,d_localisation_auc_hi",
  ];
  for (const s of SOURCES) {
    const out = join(dir, `${s.key}-out`);
    const read = async (f: string) =>
      csvRecords(await Deno.readTextFile(join(out, f)));
    let intervals: Row[], differences: Row[], measures: Row[];
    try {
      [intervals, differences, measures] = await Promise.all([
        read("intervals.csv"),
        read("differences.csv"),
        read("table.csv"),
      ]);
    } catch (e) {
      md.push(`## ${s.key}\n\nnot run yet (${(e as Error).message})\n`);
      continue;
    }
    const find = (rows: Row[], model: string, anchor: string) =>
      rows.find((r) => r.model === model && r.anchor === anchor);
    md.push(
      `## ${s.data} ${
        (s.extra ?? []).join(" ")
      } (lr ${s.lr}, ${s.epochs} epochs)\n`,
      "| model | anchor | runs | test AUC | Δ AUC | JS last half | JS ÷ none | Δ top-k overlap | effective patches | Δ effective patches | Δ localisation AUC |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const model of ABLATION_MODELS) {
      const base = find(measures, model, "none");
      for (const anchor of ABLATION_ANCHORS) {
        const i = find(intervals, model, anchor);
        const m = find(measures, model, anchor);
        if (!i || !m) continue;
        const d = find(differences, model, anchor);
        const n = (r: Row | undefined, k: string) => Number(r?.[k] ?? NaN);
        const js = n(m, "js_last_half_mean");
        const ratio = js / n(base, "js_last_half_mean");
        const diff = (k: string, digits: number) =>
          d
            ? interval(n(d, k), n(d, `${k}_lo`), n(d, `${k}_hi`), digits, true)
            : "";
        md.push(
          `| ${model} | ${anchor} | ${i.runs} | ${
            interval(n(i, "auc"), n(i, "auc_lo"), n(i, "auc_hi"), 3)
          } | ${diff("auc", 3)} | ${js.toExponential(1)} | ${
            anchor === "none" ? "" : ratio.toFixed(2)
          } | ${diff("topk_last_half", 3)} | ${
            n(m, "effective_patches_mean").toFixed(1)
          } | ${diff("effective_patches", 1)} | ${
            diff("localisation_auc", 3)
          } |`,
        );
        const raw = (k: string) =>
          d ? [n(d, k), n(d, `${k}_lo`), n(d, `${k}_hi`)] : ["", "", ""];
        csv.push([
          s.key,
          model,
          anchor,
          i.runs,
          i.auc,
          i.auc_lo,
          i.auc_hi,
          ...raw("auc"),
          js,
          anchor === "none" ? "" : ratio,
          ...raw("js_last_half"),
          ...raw("topk_last_half"),
          n(m, "effective_patches_mean"),
          ...raw("effective_patches"),
          ...raw("localisation_auc"),
        ].join(","));
      }
    }
    md.push("");
  }
  return { md: md.join("\n"), csv: csv.join("\n") + "\n" };
}

/** Entry point for `deno task bench anchor-ablation`. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string", default: "runs/ablation" },
      seeds: { type: "string", default: "3" },
      parallel: { type: "string", default: "2" },
      "tables-only": { type: "boolean", default: false },
    },
  });
  const dir = values.dir;
  if (!values["tables-only"]) {
    await runAblation(dir, Number(values.seeds), Number(values.parallel));
  }
  const { md, csv } = await tables(dir);
  await Deno.writeTextFile(join(dir, "anchor-ablation.md"), md);
  await Deno.writeTextFile(join(dir, "anchor-ablation.csv"), csv);
  console.log(md);
}
