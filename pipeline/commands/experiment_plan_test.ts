import assert from "node:assert/strict";
import {
  anchorOption,
  checkAnchorVariants,
  experimentConfigurations,
  experimentRunId,
  shortHash,
} from "./experiment_plan.ts";

Deno.test("experimentConfigurations() runs baselines without and with the EMA anchor, ASMIL with EMA, released and no anchor", () => {
  assert.deepEqual(
    experimentConfigurations(["abmil", "asmil", "transmil"]).map((c) =>
      `${c.model}:${c.anchor}`
    ),
    [
      "abmil:none",
      "abmil:ema",
      "asmil:ema",
      "asmil:released",
      "asmil:none",
      "transmil:none",
      "transmil:ema",
    ],
  );
  assert.throws(() => experimentConfigurations([]), /at least one model/);
});

Deno.test("anchorOption() gives the intended anchor for ema and the released-code anchor for released", () => {
  assert.equal(anchorOption("none"), false);
  assert.deepEqual(anchorOption("ema"), { init: "copy", update: "ema" });
  assert.deepEqual(anchorOption("released"), {
    init: "independent",
    update: "frozen",
  });
});

Deno.test("--anchors runs every model with the listed variants; presets and defined variants resolve, unknown ones are named", () => {
  assert.deepEqual(
    experimentConfigurations(["abmil", "asmil"], ["none", "stable", "t"]).map(
      (c) => `${c.model}:${c.anchor}`,
    ),
    [
      "abmil:none",
      "abmil:stable",
      "abmil:t",
      "asmil:none",
      "asmil:stable",
      "asmil:t",
    ],
  );
  assert.throws(
    () => experimentConfigurations(["abmil"], []),
    /at least one anchor/,
  );
  assert.deepEqual(anchorOption("stable"), {
    init: "copy",
    update: "ema",
    preset: "stable",
  });
  const defined = {
    t: { target: "softmax" as const, update: "frozen" as const },
  };
  assert.deepEqual(anchorOption("t", defined), {
    init: "copy",
    update: "frozen",
    target: "softmax",
  });
  assert.throws(
    () => anchorOption("t"),
    /Unknown anchor variant "t": expected none, ema, released, stable, teacher$/,
  );
  assert.throws(
    () => checkAnchorVariants(["none", "calm"], defined),
    /Unknown anchor variant "calm": expected none, ema, released, stable, teacher, t$/,
  );
  assert.throws(
    () => checkAnchorVariants(["none"], { "a.b": {} }),
    /letters, digits.*current value is "a.b"/,
  );
  assert.throws(() => checkAnchorVariants(["none"], { none: {} }), /"none"/);
  checkAnchorVariants(["none", "ema", "stable", "t"], defined);
});

Deno.test("experimentRunId() names every part SQL splits back out, and rejects names with dots", () => {
  const id = experimentRunId(
    "mnist-bags-1a2b3c",
    {
      model: "clam_sb",
      anchor: "ema",
    },
    2,
    0,
  );
  assert.equal(id, "exp.mnist-bags-1a2b3c.clam_sb.ema.s2.f0");
  assert.deepEqual(id.split(".").slice(2), ["clam_sb", "ema", "s2", "f0"]);
  assert.throws(
    () => experimentRunId("a.b", { model: "abmil", anchor: "none" }, 0, 0),
    /letters, digits, "_" and "-" only: current value is "a.b"/,
  );
});

Deno.test("shortHash() ignores key order and changes with any value", () => {
  assert.equal(shortHash({ a: 1, b: [2, 3] }), shortHash({ b: [2, 3], a: 1 }));
  assert.notEqual(shortHash({ a: 1 }), shortHash({ a: 2 }));
  assert.match(shortHash("x"), /^[0-9a-f]{8}$/);
});
