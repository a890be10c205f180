/**
 * Evaluate stage cost on a run of realistic size: stability in TypeScript
 * vs the SQL views, and the whole evaluation and report.
 *
 * A fake run (real DuckDB rows as the trainer writes them: attention with
 * two heads and predictions for every slide and epoch) of `--slides 28`
 * slides × `--epochs 50` epochs × `--tiles 400` tiles is written to an
 * in-memory store. Timed: reading the attention and computing per-slide
 * stability in TypeScript (`loadSlideStability`), the SQL table macros
 * `attention_stability_full()` and `run_stability()`, the view
 * `attention_localisation`, `evaluateRun` (1000 bootstrap resamples) and
 * `writeReport` (plots, and heatmaps on blank backgrounds: the fake slides
 * have no files).
 *
 * @module
 */
import { Store } from "../data/store.ts";
import { type FakeSlide, tileGrid, writeFakeRun } from "../testing/fake_run.ts";
import { evaluateRun } from "../stages/evaluate/evaluate_run.ts";
import { writeReport } from "../stages/evaluate/report.ts";
import { loadSlideStability } from "../stages/evaluate/stability.ts";
import { installStabilitySql } from "../data/stability_sql.ts";

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `--${name} must be a positive integer: current value is ${args[i + 1]}`,
    );
  }
  return value;
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  console.log(
    `${label.padEnd(44)} ${
      ((performance.now() - t0) / 1000).toFixed(2).padStart(7)
    } s`,
  );
  return result;
}

/** Runs the bench with `--slides`, `--epochs`, `--tiles`. */
export async function run(args: string[]): Promise<void> {
  const slides = option(args, "slides", 28);
  const epochs = option(args, "epochs", 50);
  const side = Math.ceil(Math.sqrt(option(args, "tiles", 400)));
  const splits = ["train", "val", "test"] as const;
  const cohort: FakeSlide[] = Array.from({ length: slides }, (_, i) => ({
    id: `slide-${i}`,
    split: splits[i % 3]!,
    label: (i % 2) as 0 | 1,
    width: side * 256,
    height: side * 256,
    tiles: tileGrid(
      side * 256,
      side * 256,
      256,
      (x, y) => i % 2 === 1 && x < 768 && y < 768,
    ),
  }));
  console.log(`${slides} slides × ${epochs} epochs × ${side * side} tiles`);
  const store = await Store.open(":memory:");
  try {
    await timed(
      "write the fake run",
      () => writeFakeRun(store, { run: "r", slides: cohort, epochs, seed: 1 }),
    );
    await installStabilitySql(store);
    await timed(
      "stability in TypeScript (incl. reading)",
      () => loadSlideStability(store, "r"),
    );
    await timed(
      "SQL attention_stability_full()",
      () => store.query("SELECT count(*) FROM attention_stability_full()"),
    );
    await timed(
      "SQL run_stability()",
      () => store.query("SELECT * FROM run_stability()"),
    );
    await timed(
      "SQL attention_localisation",
      () => store.query("SELECT count(*) FROM attention_localisation"),
    );
    const evaluation = await timed(
      "evaluateRun()",
      () => evaluateRun({ store, run: "r" }),
    );
    const outDir = await Deno.makeTempDir({ prefix: "asmil-bench-report-" });
    try {
      await timed(
        "writeReport()",
        () =>
          writeReport({
            store,
            runs: ["r"],
            outDir,
            evaluations: [evaluation],
          }),
      );
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  } finally {
    store.close();
  }
}

if (import.meta.main) await run(Deno.args);
