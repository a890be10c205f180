import assert from "node:assert/strict";
import {
  checkIntegerOption,
  defaultInnerDim,
  REFERENCE_INNER_DIMS,
} from "./options.ts";

Deno.test("defaultInnerDim() gives the released code's widths for its encoders' feature widths", () => {
  const expected: [number, number][] = [
    [384, 128],
    [512, 256],
    [768, 384],
    [1024, 512],
    [1536, 768],
  ];
  assert.deepEqual([...REFERENCE_INNER_DIMS], expected);
  for (const [d, inner] of expected) assert.equal(defaultInnerDim(d, 8), inner);
});

Deno.test("defaultInnerDim() falls back to ≈ D/2, a multiple of heads, at least 4·heads", () => {
  assert.equal(defaultInnerDim(1280, 8), 640);
  assert.equal(defaultInnerDim(100, 8), 56);
  assert.equal(defaultInnerDim(16, 8), 32);
  // 128 is no multiple of 12 heads: the rule applies.
  assert.equal(defaultInnerDim(384, 12), 192);
});

Deno.test("checkIntegerOption() names the model, option, range and value", () => {
  assert.throws(
    () => checkIntegerOption("ASMIL", "nToken", 0, 1),
    /ASMIL option nToken must be an integer ≥ 1: current value is 0/,
  );
});
