import assert from "node:assert/strict";
import {
  type ExperimentRow,
  TABLE_MEASURES,
  tableCsv,
  tableMarkdown,
} from "./experiment_table.ts";

function row(model: string, anchor: string, settled: number): ExperimentRow {
  const values = (x: number) =>
    Object.fromEntries(TABLE_MEASURES.map((m) => [m, x])) as ExperimentRow[
      "mean"
    ];
  const std = values(0.01);
  std.auc = NaN;
  return { model, anchor, runs: 3, settled, mean: values(0.5), std };
}

Deno.test("tableMarkdown() shows mean ± std, a bare mean when the std is undefined, and runs that never settle", () => {
  const md = tableMarkdown([row("abmil", "none", 1)]);
  const line = md.split("\n")[2]!;
  assert.match(line, /^\| abmil \| none \| 3 \| 0\.500 ± 0\.010 \|/);
  assert.match(line, /\| 0\.500 \| 5\.0e-1 ± 1\.0e-2 \|/);
  assert.match(line, /0\.5 ± 0\.0 \(2 never\)/);
});

Deno.test("tableCsv() writes one line per row, empty cells for undefined values", () => {
  const csv = tableCsv([row("abmil", "none", 3), row("asmil", "ema", 3)]);
  const lines = csv.trim().split("\n");
  assert.equal(lines.length, 3);
  const head = lines[0]!.split(",");
  const cells = lines[2]!.split(",");
  assert.equal(head.length, 4 + 2 * TABLE_MEASURES.length);
  assert.equal(cells.length, head.length);
  assert.equal(cells[head.indexOf("auc_std")], "");
  assert.equal(cells[head.indexOf("auc_mean")], "0.5");
});
