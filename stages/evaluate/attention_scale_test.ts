import assert from "node:assert/strict";
import {
  formatAttention,
  scaleColour,
  scaleLegendSvg,
  scalePosition,
  scaleTicks,
  sharedAttentionScale,
} from "./attention_scale.ts";
import { ATTENTION_STOPS } from "./colour_map.ts";

Deno.test("sharedAttentionScale() spans every distribution, at most a few decades on a log scale", () => {
  const flat = [0.25, 0.25, 0.25, 0.25];
  const focal = [0.999997, 1e-6, 1e-6, 1e-6];
  const log = sharedAttentionScale([flat, focal]);
  assert.equal(log.kind, "log");
  assert.equal(log.max, 0.999997);
  assert.ok(Math.abs(log.min - 0.999997e-4) < 1e-12, `min ${log.min}`);
  assert.equal(log.clipped, true);
  const three = sharedAttentionScale([flat, focal], { decades: 7 });
  assert.deepEqual([three.min, three.clipped], [1e-6, false]);
  assert.deepEqual(sharedAttentionScale([flat, focal], { kind: "linear" }), {
    kind: "linear",
    min: 0,
    max: 0.999997,
    clipped: false,
  });
  // All uniform: one decade below, so the maps are not all one end colour.
  const uniform = sharedAttentionScale([flat, flat]);
  assert.deepEqual([uniform.min, uniform.max], [0.025, 0.25]);
  assert.throws(
    () => sharedAttentionScale([flat], { decades: 0 }),
    /decades > 0: current value is 0/,
  );
});

Deno.test("scalePosition() and scaleColour() are absolute: the same value has the same colour in every map", () => {
  const scale = sharedAttentionScale([[0.5, 0.3, 0.2], [0.9, 0.09, 0.01]]);
  assert.deepEqual([scale.min, scale.max], [0.01, 0.9]);
  assert.equal(scalePosition(scale, 0.9), 1);
  assert.equal(scalePosition(scale, 0.01), 0);
  assert.equal(scalePosition(scale, 0.001), 0);
  assert.equal(scalePosition(scale, 0), 0);
  const mid = Math.sqrt(0.01 * 0.9);
  assert.ok(Math.abs(scalePosition(scale, mid) - 0.5) < 1e-12);
  assert.deepEqual(scaleColour(scale, 0.9), [...ATTENTION_STOPS.at(-1)!]);
  assert.deepEqual(scaleColour(scale, 0.01), [...ATTENTION_STOPS[0]!]);
  const linear = { kind: "linear" as const, min: 0, max: 0.5, clipped: false };
  assert.equal(scalePosition(linear, 0.25), 0.5);
  assert.equal(scalePosition(linear, 0.75), 1);
});

Deno.test("scaleTicks() labels the ends and the powers of ten between them", () => {
  const ticks = scaleTicks({ kind: "log", min: 3e-5, max: 0.4, clipped: true });
  assert.deepEqual(ticks.map((t) => t.label), [
    "3.0e-5",
    "1.0e-4",
    "1.0e-3",
    "0.010",
    "0.10",
    "0.40",
  ]);
  assert.equal(ticks[0]!.position, 0);
  assert.equal(ticks.at(-1)!.position, 1);
  assert.deepEqual(
    scaleTicks({ kind: "linear", min: 0, max: 0.5, clipped: false }).map((t) =>
      t.label
    ),
    ["0", "0.25", "0.50"],
  );
  assert.equal(formatAttention(Number.NaN), "–");
});

Deno.test("scaleLegendSvg() shows the range, the clipped end and the uniform share", () => {
  const svg = scaleLegendSvg(
    { kind: "log", min: 1e-4, max: 0.3, clipped: true },
    { uniform: 1 / 50, id: "run-slide" },
  );
  assert.match(svg, /^<svg [^>]*class="scale-legend"/);
  assert.match(svg, />≤ 1\.0e-4</);
  assert.match(svg, />0\.30</);
  assert.match(svg, />uniform 1\/N = 0\.020</);
  assert.match(svg, /id="run-slide-gradient"/);
  assert.match(svg, /fill="url\(#run-slide-gradient\)"/);
  assert.match(
    svg,
    /aria-label="attention value \(log scale\) from 1\.0e-4 to 0\.30"/,
  );
});
