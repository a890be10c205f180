import assert from "node:assert/strict";
import { parseLabelsCsv } from "./labels_csv.ts";

Deno.test("parseLabelsCsv() reads slide_id, label and split, with quoted cells", () => {
  const labels = parseLabelsCsv(
    'slide_id,label,split\r\n"a,1",tumor,train\nb,"say ""hi""",\n',
    "l.csv",
  );
  assert.deepEqual([...labels], [["a,1", { label: "tumor", split: "train" }], [
    "b",
    { label: 'say "hi"' },
  ]]);
});

Deno.test("parseLabelsCsv() names the file and line of a bad header, missing label or duplicate slide", () => {
  assert.throws(
    () => parseLabelsCsv("id,y\n", "l.csv"),
    /l.csv needs a header .* current header is "id,y"/,
  );
  assert.throws(
    () => parseLabelsCsv("slide,label\na,\n", "l.csv"),
    /l.csv line 2 lacks a slide id or label/,
  );
  assert.throws(
    () => parseLabelsCsv("slide,label\na,1\na,2\n", "l.csv"),
    /lists slide a twice \(line 3\)/,
  );
});
