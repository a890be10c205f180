import assert from "node:assert/strict";
import { explainOutOfMemory } from "./out_of_memory.ts";

const context = { run: "r1", model: "transmil", phase: "training step" };
const bag = { slideId: "slide-7", n: 20000, dim: 1024 };

Deno.test("explainOutOfMemory() names the run, model, slide and bag size of a wasm heap failure", () => {
  for (
    const error of [
      new WebAssembly.RuntimeError("memory access out of bounds"),
      new WebAssembly.RuntimeError(
        "Aborted(). Build with -sASSERTIONS for more info.",
      ),
      new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded"),
      new RangeError("Array buffer allocation failed"),
    ]
  ) {
    const e = explainOutOfMemory(error, context, bag) as Error;
    assert.notEqual(e, error);
    for (
      const part of [
        'Run "r1"',
        "transmil",
        'slide "slide-7"',
        "20000 instances × 1024",
        "4 GiB",
        error.message.replace(/\.+$/, ""),
      ]
    ) {
      assert.ok(e.message.includes(part), `${part} in ${e.message}`);
    }
    assert.equal(e.cause, error);
    assert.doesNotMatch(e.message, /\.\./);
  }
});

Deno.test("explainOutOfMemory() passes other errors through unchanged", () => {
  const error = new Error('Bag "x" has 3 features per instance: expected 4');
  assert.equal(explainOutOfMemory(error, context, bag), error);
  assert.equal(explainOutOfMemory("text", context, bag), "text");
});
