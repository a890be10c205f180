import assert from "node:assert/strict";
import { join } from "node:path";
import { readMppCsv, slideScale } from "./slide_scale.ts";

const file = { mpp: 0.5, magnification: 20 };

Deno.test("slideScale() prefers SlideRef.mpp, then the per-slide map, then the global override, then the file", () => {
  const ref = { id: "s", path: "s.svs" };
  assert.deepEqual(slideScale(ref, file), {
    mpp: 0.5,
    magnification: 20,
    mppSource: "file",
  });
  assert.equal(slideScale(ref, file, { mppOverride: 0.25 }).mpp, 0.25);
  assert.equal(
    slideScale(ref, file, { mppOverride: 0.25, mppBySlide: { s: 0.3 } }).mpp,
    0.3,
  );
  assert.equal(
    slideScale({ ...ref, mpp: 0.2 }, file, { mppBySlide: { s: 0.3 } })
      .mppSource,
    "slide-ref",
  );
});

Deno.test("slideScale() derives magnification from MPP when the file has none and reports a missing MPP", () => {
  const none = { mpp: undefined, magnification: undefined };
  assert.equal(
    slideScale({ id: "s", path: "s" }, none, { mppOverride: 0.25 })
      .magnification,
    40,
  );
  assert.deepEqual(slideScale({ id: "s", path: "s" }, none), {
    mpp: undefined,
    magnification: undefined,
    mppSource: "none",
  });
  assert.throws(
    () => slideScale({ id: "bad", path: "b" }, none, { mppOverride: -1 }),
    /"bad".*positive number, got -1/,
  );
});

Deno.test("readMppCsv() reads slide_id,mpp rows and names the line of a bad value", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "ok.csv"),
      "slide_id,mpp\na,0.25\nb,0.5\n",
    );
    assert.deepEqual(await readMppCsv(join(dir, "ok.csv")), {
      a: 0.25,
      b: 0.5,
    });
    await Deno.writeTextFile(join(dir, "bad.csv"), "slide_id,mpp\na,zero\n");
    await assert.rejects(
      readMppCsv(join(dir, "bad.csv")),
      /line 2 has mpp "zero"/,
    );
    await Deno.writeTextFile(join(dir, "header.csv"), "name,scale\n");
    await assert.rejects(
      readMppCsv(join(dir, "header.csv")),
      /expected a header with "slide_id" and "mpp"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
