/**
 * `asmil import-features` with a slide whose features have no rows: the
 * slide is refused by name and recorded in `failures`, the other slides of
 * the batch are imported, and the command exits non-zero.
 */
import assert from "node:assert/strict";
import { writeH5File } from "../../stages/embed/h5_file.ts";
import { asmil } from "../../testing/asmil_process.ts";

async function clamFile(path: string, n: number, d: number): Promise<void> {
  await writeH5File(path, (f) => {
    f.create_dataset({
      name: "features",
      data: Float32Array.from({ length: n * d }, (_, i) => i / 10),
      shape: [n, d],
    });
    f.create_dataset({
      name: "coords",
      data: Int32Array.from({ length: 2 * n }, (_, i) => 256 * i),
      shape: [n, 2],
    });
  });
}

async function sql(db: string, query: string): Promise<string> {
  const r = await asmil(["--db", db, "sql", "--format", "csv", query]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test("import-features refuses a 0 × D slide by name, records it in failures and imports the rest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-import-inputs-" });
  try {
    const db = `${dir}/s.duckdb`;
    await clamFile(`${dir}/case_a.h5`, 3, 4);
    await clamFile(`${dir}/case_empty.h5`, 0, 4);
    await Deno.writeTextFile(
      `${dir}/labels.csv`,
      "slide_id,label\ncase_a,1\ncase_empty,0\n",
    );
    const run = (...files: string[]) =>
      asmil([
        "--db",
        db,
        "import-features",
        "--format",
        "clam",
        "--labels",
        `${dir}/labels.csv`,
        ...files.map((f) => `${dir}/${f}`),
      ]);

    // Alone: refused, nothing but the failure recorded.
    let r = await run("case_empty.h5");
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /case_empty\.h5: slide case_empty has no tiles: "features" is \[0, 4\], expected at least one row/,
    );
    assert.match(
      r.stderr,
      /1 slide\(s\) not imported \(recorded in failures\): case_empty/,
    );
    const contents =
      "select (select count(*) from slides) as slides, (select count(*) from tiles) as tiles, (select count(*) from embeddings) as embeddings";
    assert.equal(await sql(db, contents), "slides,tiles,embeddings\n0,0,0\n");

    // In a batch: the other slide is imported.
    r = await run("case_a.h5", "case_empty.h5");
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /imported 1 slides \(3 tiles, 4-d\).*0 already present, 1 failed/,
    );
    assert.equal(await sql(db, contents), "slides,tiles,embeddings\n1,3,3\n");
    assert.equal(
      await sql(db, "select stage, slide from failures order by failed_at"),
      "stage,slide\nimport,case_empty\nimport,case_empty\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
