import assert from "node:assert/strict";
import { join } from "node:path";
import { asmil } from "../../testing/asmil_process.ts";
import { DEMO } from "./demo.ts";
import { Store } from "../../data/store.ts";

Deno.test({
  name:
    "asmil pipeline on the built-in cohort trains ASMIL with its demo setting and gated ABMIL on one split, and says so; --baseline none trains one model",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-pipeline-cli-" });
    try {
      const db = join(dir, "asmil.duckdb");
      const args = ["--db", db, "--seed", "1", "pipeline"];
      const both = await asmil([
        ...args,
        "--synthetic-slides",
        "10",
        "--epochs",
        "1",
      ]);
      assert.equal(both.code, 0, both.stderr);
      const out = both.stdout;
      assert.match(out, /^cohort +10 slides \(0 failed\)/m);
      const c = DEMO.cohort;
      assert.ok(
        out.includes(
          `built-in cohort: 10 synthetic slides of ${c.sides[0]}–${
            c.sides.at(-1)
          } px, half with tumour on ${100 * c.tumourFraction[0]}–${
            100 * c.tumourFraction[1]
          } % of the tissue, grade ${c.tumourGrade[0]}–${c.tumourGrade[1]}`,
        ),
        out,
      );
      assert.match(
        out,
        new RegExp(`^settings 1 epochs, AdamW lr ${DEMO.lr},`, "m"),
      );
      assert.match(
        out,
        new RegExp(
          `demo: asmil innerDim ${DEMO.asmilOptions.innerDim}, not its default`,
        ),
      );
      assert.match(out, /^asmil +test +/m);
      assert.match(out, /^gated_abmil +test +/m);
      // One epoch leaves ASMIL's attention uniform: the summary says so.
      assert.match(
        out,
        /^NOTE +asmil has not learned: its attention is still uniform/m,
      );

      const none = await asmil([
        ...args,
        "--synthetic-slides",
        "10",
        "--epochs",
        "1",
        "--model",
        "gated_abmil",
        "--baseline",
        "none",
      ]);
      assert.equal(none.code, 0, none.stderr);
      assert.match(none.stdout, /^gated_abmil +test +/m);
      assert.doesNotMatch(none.stdout, /^asmil /m);
      assert.doesNotMatch(none.stdout, /innerDim/);
      assert.match(none.stdout, /; 0 embedded this run$/m);

      const store = await Store.open(db, { readOnly: true });
      try {
        const runs = await store.query<{ id: string; inner: string | null }>(
          `SELECT id, json_extract_string(config, '$.train.modelOptions.innerDim') AS inner
           FROM runs ORDER BY started`,
        );
        assert.equal(runs.length, 3);
        assert.match(runs[0]!.id, /^asmil-s1-f0-/);
        assert.equal(runs[0]!.inner, String(DEMO.asmilOptions.innerDim));
        assert.match(runs[1]!.id, /^gated_abmil-s1-f0-/);
        assert.equal(runs[1]!.inner, null);
        const splits = await store.query<{ run: string; slides: string }>(
          `SELECT run, string_agg(slide || ':' || split, ',' ORDER BY slide) AS slides
           FROM predictions GROUP BY run`,
        );
        assert.equal(splits.length, 3);
        assert.equal(
          new Set(splits.map((s) => s.slides)).size,
          1,
          "every model evaluated the same slides in the same splits",
        );
      } finally {
        store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
