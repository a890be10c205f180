import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createModel, listModels, modelEntry } from "./all.ts";
import {
  type ModelOptionSpec,
  optionDefault,
  optionRange,
} from "./registry.ts";
import { useBackendFromEnv } from "./backend/mod.ts";
import { Rng } from "../core/random.ts";

await useBackendFromEnv({ quiet: true });

const BASE = { inputDim: 16, numClasses: 2, seed: 1 };
const RUN_OPTIONS = new Set(["seed", "inputDim", "numClasses"]);

/** Values just outside the declared range. */
function outside(spec: ModelOptionSpec): unknown[] {
  if (spec.type === "boolean") return ["yes"];
  const values: unknown[] = [];
  if (spec.min !== undefined) {
    values.push(spec.type === "integer" ? spec.min - 1 : spec.min - 1e-3);
  }
  if (spec.max !== undefined) {
    values.push(spec.maxExclusive ? spec.max : spec.max + 1e-3);
  }
  if (spec.type === "integer") values.push((spec.min ?? 0) + 1.5);
  return values;
}

/**
 * Builds the model with `options` and, when construction accepts them, runs
 * one training step's loss, so an option checked only where it is used is
 * caught as well.
 */
function buildAndTrain(name: string, options: Record<string, unknown>): void {
  const model = createModel(name, { ...BASE, ...options });
  try {
    tf.tidy(() => {
      model.loss(tf.randomNormal([12, BASE.inputDim]), 1, {
        training: true,
        rng: new Rng(3),
      });
    });
  } finally {
    model.dispose();
  }
}

for (const name of listModels()) {
  const entry = modelEntry(name);

  Deno.test(`${name} describes every option it has a default for`, () => {
    for (const key of Object.keys(entry.defaults)) {
      if (RUN_OPTIONS.has(key)) continue;
      assert.ok(key in entry.options, `${name}: ${key} has no description`);
    }
    for (const [key, spec] of Object.entries(entry.options)) {
      assert.ok(spec.about.length > 0, `${name}: ${key} says nothing`);
      assert.notEqual(optionDefault(entry, key), "none", `${name}: ${key}`);
    }
  });

  Deno.test(`${name} rejects values outside each option's declared range`, () => {
    for (const [key, spec] of Object.entries(entry.options)) {
      for (const value of outside(spec)) {
        assert.throws(
          () => buildAndTrain(name, { [key]: value }),
          (error: Error) =>
            error instanceof RangeError || error instanceof TypeError,
          `${name}: ${key} = ${value} is outside ${
            optionRange(spec)
          } but was accepted`,
        );
      }
    }
  });
}

Deno.test("every model trains with its declared defaults", () => {
  for (const name of listModels()) buildAndTrain(name, {});
});

Deno.test("optionRange() writes the range as it is shown to users", () => {
  assert.equal(
    optionRange({ about: "", type: "integer", min: 0, also: "< nToken" }),
    "integer ≥ 0, < nToken",
  );
  assert.equal(
    optionRange({ about: "", type: "number", min: 0, max: 1 }),
    "number in [0, 1]",
  );
  assert.equal(optionRange({ about: "", type: "boolean" }), "boolean");
});
