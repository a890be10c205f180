import assert from "node:assert/strict";
import { Rng } from "../../core/random.ts";
import { dropoutMaskValues } from "./dropout.ts";

Deno.test("dropoutMaskValues() drops exactly where rng.next() < rate, across chunk borders", () => {
  for (
    const [size, rate] of [[10, 0.5], [200_000, 0.25], [65_537, 0.9]] as const
  ) {
    const a = new Rng(size), b = new Rng(size);
    const mask = dropoutMaskValues(size, rate, a);
    const scale = 1 / (1 - rate);
    for (let i = 0; i < size; i++) {
      assert.equal(mask[i], b.next() < rate ? 0 : Math.fround(scale));
    }
    assert.equal(a.state, b.state);
    const kept = mask.filter((v) => v !== 0).length / size;
    if (size > 1000) assert.ok(Math.abs(kept - (1 - rate)) < 0.01);
  }
});
