/**
 * The anchor ablation: four models × anchor configurations × seeds on three sources, one table of paired differences.
 *
 * `deno task bench anchor-ablation [--study ablation|teacher]
 * [--dir runs/ablation] [--seeds 3] [--tables-only] [--parallel 2]` runs
 * `asmil experiment` once per source (MNIST-bags with 100 bags, the
 * WSI-like feature cohort, the synthetic slide cohort), each into its own
 * store under `--dir` as a job array of `--parallel` tasks (`--plan`,
 * `--task i/n`, `--collect`); finished runs are skipped, so an interrupted
 * study resumes and the two studies share the runs they have in common.
 * Then it reads the experiments' `intervals.csv`, `differences.csv` and
 * `table.csv` and writes `<study>.md` and `<study>.csv` to `--dir`: per
 * source, model and variant the test AUC with its interval, and the paired
 * differences to the unanchored model (AUC; JS divergence over the last
 * half as the paired geometric-mean ratio, exp of the mean ln difference;
 * top-k overlap, effective patches, localisation AUC), with `*` where the
 * 95 % interval excludes 0 (1 for the ratio).
 *
 * The `ablation` study (`anchor-ablation.md`): ASMIL, gated ABMIL, CLAM-SB
 * and TransMIL × `none,ema,stable,teacher` × `--seeds` seeds. The variants
 * form a ladder, each adding to the one before: `ema` the method as
 * specified; `stable` (the preset) its loss summed over instances and
 * divided by ln N, the momentum ramp 0.99 → 0.999 over 10 epochs and a
 * 5-epoch warm-up; `teacher` the same with the target taken from the
 * anchor's own attention (softmax at τ 1) instead of its normalized
 * sigmoid at τ 0.5.
 *
 * The `teacher` study (`anchor-teacher.md`): the models that learn each
 * source, more seeds, and two changes to `teacher` aimed at its lag:
 * `teacher-sharp` (target softmax at τ 0.5) and `teacher-fast` (momentum
 * 0.9 → 0.99, a 2-epoch warm-up).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { csvRecords } from "../core/csv.ts";
import { asmilArgs } from "../testing/asmil_process.ts";
import { DEMO } from "../pipeline/commands/demo.ts";

/** The variants the studies define beyond the built-in ones. */
export const ABLATION_VARIANTS = {
  teacher: { preset: "stable", target: "softmax", tau: 1 },
  "teacher-sharp": { preset: "stable", target: "softmax", tau: 0.5 },
  "teacher-fast": {
    preset: "stable",
    target: "softmax",
    tau: 1,
    momentum: 0.99,
    momentumStart: 0.9,
    warmupEpochs: 2,
  },
} as const;

/** The ablation's configurations, in ladder order. */
export const ABLATION_ANCHORS = ["none", "ema", "stable", "teacher"] as const;

/** The models every variant of the ablation runs on. */
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

const MNIST: Source = {
  key: "mnist",
  data: "mnist-bags",
  lr: "5e-4",
  epochs: 20,
  extra: ["--bags", "100"],
};
const COHORT: Source = {
  key: "cohort",
  data: "cohort",
  lr: "1e-4",
  epochs: 20,
};
const SYNTHETIC: Source = {
  key: "synthetic",
  data: "synthetic",
  lr: "5e-4",
  epochs: 20,
  // The pipeline demo's ASMIL width: at its default (640 for 1280-d
  // MobileNetV2 features) ASMIL does not learn this cohort at lr 5e-4.
  extra: ["--model-options", JSON.stringify({ asmil: DEMO.asmilOptions })],
};

/** One experiment of a study: a source, its models, anchors and seeds. */
interface Arm {
  source: Source;
  models: readonly string[];
  anchors: readonly string[];
  seeds: number;
}

/** A study: its experiments, and where their tables go (`<dir>/<source><out>`). */
interface Study {
  key: string;
  out: string;
  arms: (seeds: number) => Arm[];
}

/** The studies, by `--study` name. */
const STUDIES: Record<string, Study> = {
  ablation: {
    key: "anchor-ablation",
    out: "-out",
    arms: (seeds) =>
      [MNIST, COHORT, SYNTHETIC].map((source) => ({
        source,
        models: ABLATION_MODELS,
        anchors: ABLATION_ANCHORS,
        seeds,
      })),
  },
  teacher: {
    key: "anchor-teacher",
    out: "-x-out",
    arms: () => {
      const anchors = ["none", "teacher", "teacher-sharp", "teacher-fast"];
      return [
        {
          source: MNIST,
          models: ["gated_abmil", "clam_sb"],
          anchors: ["none", "ema", ...anchors.slice(1)],
          seeds: 10,
        },
        {
          source: SYNTHETIC,
          models: ["asmil", "gated_abmil", "clam_sb"],
          anchors,
          seeds: 10,
        },
        { source: COHORT, models: ["gated_abmil"], anchors, seeds: 10 },
      ];
    },
  },
};

function experimentArgs(dir: string, study: Study, arm: Arm): string[] {
  const s = arm.source;
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
    String(arm.seeds),
    "--models",
    arm.models.join(","),
    "--anchors",
    arm.anchors.join(","),
    "--anchor-variants",
    JSON.stringify(ABLATION_VARIANTS),
    "--threads",
    "1",
    "--out",
    join(dir, `${s.key}${study.out}`),
    // One name per source: the studies share the runs they have in common.
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

/** Runs (or resumes) a study's experiments. */
async function runStudy(
  dir: string,
  study: Study,
  seeds: number,
  parallel: number,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const arm of study.arms(seeds)) {
    const args = experimentArgs(dir, study, arm);
    const log = join(dir, `${arm.source.key}${study.out}.log`);
    console.error(`${study.key}: ${arm.source.key} (log ${log})`);
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

/**
 * A ratio with its interval, `*` where the interval excludes 1.
 *
 * @example
 * ```ts
 * import { ratioInterval } from "./anchor_ablation.ts";
 * if (ratioInterval(0.5, 0.25, 0.9) !== "×0.50 [0.25, 0.90] *") throw new Error();
 * ```
 */
export function ratioInterval(value: number, lo: number, hi: number): string {
  const star = lo > 1 || hi < 1 ? " *" : "";
  return `×${value.toFixed(2)} [${lo.toFixed(2)}, ${hi.toFixed(2)}]${star}`;
}

/** The combined tables of a study's experiments' CSVs. */
async function tables(
  dir: string,
  study: Study,
  seeds: number,
): Promise<{ md: string; csv: string }> {
  const md: string[] = [];
  const csv: string[] = [
    "source,model,anchor,runs,auc,auc_lo,auc_hi,d_auc,d_auc_lo,d_auc_hi,js_last_half,js_ratio,d_js,d_js_lo,d_js_hi,js_geometric_ratio,js_geometric_ratio_lo,js_geometric_ratio_hi,d_topk,d_topk_lo,d_topk_hi,effective_patches,d_effective_patches,d_effective_patches_lo,d_effective_patches_hi,d_localisation_auc,d_localisation_auc_lo,d_localisation_auc_hi",
  ];
  for (const arm of study.arms(seeds)) {
    const s = arm.source;
    const out = join(dir, `${s.key}${study.out}`);
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
      "| model | anchor | runs | test AUC | Δ AUC | JS last half | JS ÷ none (paired, geometric) | Δ top-k overlap | effective patches | Δ effective patches | Δ localisation AUC |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const model of arm.models) {
      const base = find(measures, model, "none");
      for (const anchor of arm.anchors) {
        const i = find(intervals, model, anchor);
        const m = find(measures, model, anchor);
        if (!i || !m) continue;
        const d = find(differences, model, anchor);
        const n = (r: Row | undefined, k: string) => Number(r?.[k] ?? NaN);
        const js = n(m, "js_last_half_mean");
        // Ratio of the means (CSV only: configurations may differ in runs).
        const ratio = js / n(base, "js_last_half_mean");
        // A difference with its interval: [value, lo, hi].
        const triple = (k: string) =>
          d?.[k] ? [n(d, k), n(d, `${k}_lo`), n(d, `${k}_hi`)] : undefined;
        // The paired geometric-mean ratio: exp of the mean ln JS difference.
        const geo = triple("js_log_ratio")?.map(Math.exp);
        const diff = (k: string, digits: number) => {
          const t = triple(k);
          return t ? interval(t[0]!, t[1]!, t[2]!, digits, true) : "";
        };
        md.push(
          `| ${model} | ${anchor} | ${i.runs} | ${
            interval(n(i, "auc"), n(i, "auc_lo"), n(i, "auc_hi"), 3)
          } | ${diff("auc", 3)} | ${js.toExponential(1)} | ${
            geo ? ratioInterval(geo[0]!, geo[1]!, geo[2]!) : ""
          } | ${diff("topk_last_half", 3)} | ${
            n(m, "effective_patches_mean").toFixed(1)
          } | ${diff("effective_patches", 1)} | ${
            diff("localisation_auc", 3)
          } |`,
        );
        const raw = (k: string) => triple(k) ?? ["", "", ""];
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
          ...(geo ?? ["", "", ""]),
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
      study: { type: "string", default: "ablation" },
      dir: { type: "string", default: "runs/ablation" },
      seeds: { type: "string", default: "3" },
      parallel: { type: "string", default: "2" },
      "tables-only": { type: "boolean", default: false },
    },
  });
  const study = STUDIES[values.study];
  if (!study) {
    throw new Error(
      `--study: expected one of ${
        Object.keys(STUDIES).join(", ")
      }, got '${values.study}'`,
    );
  }
  const dir = values.dir;
  const seeds = Number(values.seeds);
  if (!values["tables-only"]) {
    await runStudy(dir, study, seeds, Number(values.parallel));
  }
  const { md, csv } = await tables(dir, study, seeds);
  await Deno.writeTextFile(join(dir, `${study.key}.md`), md);
  await Deno.writeTextFile(join(dir, `${study.key}.csv`), csv);
  console.log(md);
}
