import assert from "node:assert/strict";
import { anchorActive, anchorMomentum } from "./anchor_schedule.ts";

const ramp = {
  momentum: 0.999,
  momentumStart: 0.99,
  momentumRamp: 4,
  warmupEpochs: 0,
};

Deno.test("anchorMomentum() ramps by a half cosine from the start momentum to the momentum", () => {
  // k/R = 1/4: (1 + cos(π/4))/2 = (1 + √2/2)/2.
  const w = (1 + Math.SQRT1_2) / 2;
  const expected = [0.99, 0.999 - 0.009 * w, 0.9945, 0.999 - 0.009 * (1 - w)];
  expected.forEach((m, epoch) =>
    assert.ok(
      Math.abs(anchorMomentum(ramp, epoch) - m) < 1e-12,
      `epoch ${epoch}: ${anchorMomentum(ramp, epoch)} vs ${m}`,
    )
  );
  for (const epoch of [4, 5, 49]) {
    assert.equal(anchorMomentum(ramp, epoch), 0.999);
  }
});

Deno.test("anchorMomentum() counts the ramp from the end of the warm-up, and is constant without a ramp", () => {
  const warm = { ...ramp, warmupEpochs: 3 };
  for (let e = 0; e <= 3; e++) assert.equal(anchorMomentum(warm, e), 0.99);
  assert.equal(anchorMomentum(warm, 5), anchorMomentum(ramp, 2));
  const flat = { ...ramp, momentumRamp: 0 };
  for (const e of [0, 1, 10]) assert.equal(anchorMomentum(flat, e), 0.999);
});

Deno.test("anchorActive() is off during the warm-up epochs only", () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((e) => anchorActive({ warmupEpochs: 2 }, e)),
    [false, false, true, true],
  );
  assert.ok(anchorActive({ warmupEpochs: 0 }, 0));
});
