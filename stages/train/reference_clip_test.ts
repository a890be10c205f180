import assert from "node:assert/strict";
import { clipNormFor, type ClipScope } from "./reference_clip.ts";
import "../../models/all.ts";
import { listModels } from "../../models/registry.ts";

Deno.test("clipNormFor() clips ASMIL and DTFD as their released scripts, not ACMIL or the engine's models", () => {
  const clipped = listModels().filter((m) => clipNormFor(m, 5) !== null);
  assert.deepEqual(clipped.sort(), ["asmil", "dtfd_afs", "dtfd_maxmins"]);
  assert.equal(clipNormFor("asmil", 2), 2);
  assert.equal(clipNormFor("acmil", 5), null);
});

Deno.test("clipNormFor() clips every model with scope all, none with a null norm", () => {
  for (const m of listModels()) {
    assert.equal(clipNormFor(m, 5, "all"), 5);
    assert.equal(clipNormFor(m, null, "all"), null);
  }
  assert.throws(
    () => clipNormFor("asmil", 5, "some" as ClipScope),
    /Clip scope must be "reference" or "all": current value is "some"/,
  );
});
