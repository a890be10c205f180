import assert from "node:assert/strict";
import { formatRows } from "./sql_format.ts";

const rows = [
  { id: "s1", n: 3, f: [0.5, 0.25], note: 'say "hi", ok' },
  { id: "s2", n: null, f: Array.from({ length: 10 }, (_, i) => i), note: "" },
];
const cols = ["id", "n", "f", "note"];

Deno.test("formatRows() draws an aligned table and shortens long lists", () => {
  const text = formatRows(rows, cols, "table");
  const lines = text.trimEnd().split("\n");
  assert.equal(new Set(lines.slice(0, 6).map((l) => l.length)).size, 1);
  assert.match(text, /│ s1 +│ 3 +│ \[0\.5, 0\.25\]/);
  assert.match(text, /NULL/);
  assert.match(text, /… \(10 items\)/);
  assert.equal(lines.at(-1), "2 rows");
});

Deno.test("formatRows() quotes CSV fields that need it", () => {
  const text = formatRows(rows, cols, "csv");
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "id,n,f,note");
  assert.equal(lines[1], 's1,3,"[0.5,0.25]","say ""hi"", ok"');
  assert.ok((lines[2] as string).startsWith("s2,,"));
});

Deno.test("formatRows() emits valid JSON, non-finite numbers as strings", () => {
  const text = formatRows([{ a: NaN, b: [1, Infinity] }], ["a", "b"], "json");
  assert.deepEqual(JSON.parse(text), [{ a: "NaN", b: [1, "Infinity"] }]);
});

Deno.test("formatRows() keeps the header of an empty result", () => {
  assert.match(formatRows([], ["x"], "table"), /│ x │\n.*\n.*\n0 rows/);
  assert.equal(formatRows([], ["x"], "csv"), "x\n");
});
