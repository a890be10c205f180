import assert from "node:assert/strict";
import { halfToFloat } from "./h5_file.ts";

Deno.test("halfToFloat() decodes normals, subnormals, zero signs, infinities and NaN", () => {
  const bits = [
    0x3c00,
    0xc000,
    0x0001,
    0x8000,
    0x7c00,
    0xfc00,
    0x7e00,
    0x7bff,
    0x3555,
  ];
  const bytes = new Uint8Array(new Uint16Array(bits).buffer);
  const f = halfToFloat(bytes);
  assert.deepEqual(Array.from(f.subarray(0, 8)), [
    1,
    -2,
    2 ** -24,
    -0,
    Infinity,
    -Infinity,
    NaN,
    65504,
  ]);
  assert.equal(f[8], 0.333251953125);
});
