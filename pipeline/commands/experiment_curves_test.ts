import assert from "node:assert/strict";
import { stabilitySpec } from "../../stages/evaluate/plot_specs.ts";
import { renderSvg } from "../../stages/evaluate/render_plot.ts";
import { BY_MODEL_AND_ANCHOR } from "./experiment_curves.ts";

Deno.test("BY_MODEL_AND_ANCHOR colours the experiment's curves by model and marks anchor variants by shape and dash", async () => {
  const models = ["abmil", "clam_sb", "transmil", "asmil"];
  const points = models.flatMap((model) =>
    (model === "asmil" ? ["ema", "released", "none"] : ["none", "ema"])
      .flatMap((anchor) =>
        [1, 2, 3].map((epoch) => ({
          series: `${model} ${anchor}`,
          model,
          anchor,
          epoch,
          value: 0.01 / epoch,
        }))
      )
  );
  const spec = stabilitySpec(points, points, 0.01, BY_MODEL_AND_ANCHOR);
  const encodings: Record<string, { field?: string }>[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if (o.encoding && (o.encoding as { x?: unknown }).x) {
      encodings.push(o.encoding as Record<string, { field?: string }>);
    }
    Object.values(o).forEach(walk);
  };
  walk(spec);
  assert.equal(encodings.length, 2);
  for (const e of encodings) {
    assert.equal(e.color?.field, "model");
    assert.equal(e.strokeDash?.field, "anchor");
    assert.equal(e.shape?.field, "anchor");
  }
  const svg = await renderSvg(spec);
  for (const m of models) assert.ok(svg.includes(m), `legend shows ${m}`);
  assert.ok(svg.includes("released"));
});
