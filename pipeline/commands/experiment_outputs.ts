/**
 * What an experiment writes once its runs are in the store: the results
 * table (Markdown + CSV), the intervals and paired differences, the
 * stability curves and the comparison report. Read from the store alone,
 * so one process (`asmil experiment`) and a collected array
 * (`asmil experiment --collect`) write the same files.
 *
 * @module
 */
import { join } from "node:path";
import type { Store } from "../../data/store.ts";
import { writeReport } from "../../stages/evaluate/report.ts";
import type { CommandContext } from "../cli_context.ts";
import { writeExperimentCurves } from "./experiment_curves.ts";
import type { ExperimentGrid } from "./experiment_grid.ts";
import {
  configurationsCsv,
  differencesCsv,
  experimentIntervals,
  intervalsMarkdown,
} from "./experiment_intervals.ts";
import { experimentRunId } from "./experiment_plan.ts";
import {
  EXPERIMENT_TABLE_SQL,
  type ExperimentRow,
  experimentTable,
  tableCsv,
  tableMarkdown,
} from "./experiment_table.ts";

/** The files {@link writeExperimentOutputs} wrote. */
export interface ExperimentFiles {
  markdown: string;
  csv: string;
  curves: string;
  report?: string;
}

/**
 * Writes the outputs of `grid` into `grid.outDir` from the runs in
 * `store` (see the module doc); `report` false skips the HTML report.
 *
 * @example
 * ```ts ignore
 * const { rows, files } = await writeExperimentOutputs(ctx, store, grid);
 * console.log(files.csv, rows.length);
 * ```
 */
export async function writeExperimentOutputs(
  ctx: CommandContext,
  store: Store,
  grid: ExperimentGrid,
  { report = true }: { report?: boolean } = {},
): Promise<{ rows: ExperimentRow[]; files: ExperimentFiles }> {
  const { config } = ctx;
  const { name, outDir, configurations, training, data } = grid;
  await Deno.mkdir(outDir, { recursive: true });
  const rows = await experimentTable(store, name, configurations);
  const intervals = await experimentIntervals(store, name, configurations, {
    seed: config.seed,
  });
  const markdown = join(outDir, "table.md"), csv = join(outDir, "table.csv");
  // The tables cover every finished run of the experiment in the store,
  // which may be more than this grid asks for (an earlier call under the
  // same name with more seeds): say so rather than state the grid's count.
  const perConfiguration = grid.seeds * grid.folds.length;
  const beyond = rows.some((r) => r.runs > perConfiguration)
    ? ` The store holds more runs of this experiment than this grid's ${perConfiguration} per configuration (from another call under the same name): every table covers all of them; the runs column counts them.`
    : "";
  await Deno.writeTextFile(
    markdown,
    `# Experiment ${name}\n\n${data.description}\n\n${training.epochs} epochs, lr ${training.lr}, ${grid.seeds} seed(s) from ${config.seed}, ${grid.splitText}. Test split at the best-validation epoch.${beyond}\n\n${
      intervalsMarkdown(intervals)
    }\nAll measures, mean ± sample std over runs:\n\n${
      tableMarkdown(rows)
    }\nRebuild with \`deno task sql\` and this query ($name = '${name}'):\n\n\`\`\`sql${EXPERIMENT_TABLE_SQL}\n\`\`\`\n`,
  );
  await Deno.writeTextFile(csv, tableCsv(rows));
  await Deno.writeTextFile(
    join(outDir, "intervals.csv"),
    configurationsCsv(intervals.configurations),
  );
  await Deno.writeTextFile(
    join(outDir, "differences.csv"),
    differencesCsv(intervals.differences),
  );
  const curves = await writeExperimentCurves(store, name, outDir, 0.01);
  const files: ExperimentFiles = { markdown, csv, curves: curves.png };
  if (report) {
    // One run per configuration (the first seed and fold) keeps the
    // report readable; the table covers every run.
    const shown = configurations.map((c) =>
      experimentRunId(name, c, config.seed, grid.folds[0]!)
    );
    const written = await writeReport({
      store,
      runs: shown,
      outDir: join(outDir, "report"),
      title: `Experiment ${name}`,
      evaluate: { epoch: "best", bootstrap: { resamples: 200 } },
      // Pseudo-slides of generated bags have no image to draw on.
      heatmapSlides: grid.source === "mnist-bags" || grid.source === "features"
        ? 0
        : 1,
    });
    files.report = written.html;
  }
  return { rows, files };
}
