import assert from "node:assert/strict";
import { listModels } from "./all.ts";
import { defineConformanceTests } from "./conformance.ts";
import { BACKEND_ENV, useBackendFromEnv } from "./backend/mod.ts";

const backend = await useBackendFromEnv({ quiet: true });

/** Per-model sizes that keep the suite fast (defaults for the rest). */
const sizes: Record<string, Parameters<typeof defineConformanceTests>[1]> = {};

for (const name of listModels()) defineConformanceTests(name, sizes[name]);

Deno.test("the model registry lists abmil and gated_abmil", () => {
  assert.ok(listModels().includes("abmil"));
  assert.ok(listModels().includes("gated_abmil"));
});

// The whole suite again on plain wasm (no OpenBLAS) in a child process, so
// both engines are covered by one `deno test`.
Deno.test({
  name:
    `the conformance suite also passes on plain wasm (this run: ${backend.name})`,
  ignore: backend.name === "wasm" || Deno.env.get(BACKEND_ENV) !== undefined,
  async fn() {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--allow-ffi",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        "--allow-run",
        new URL(import.meta.url).pathname,
      ],
      cwd: new URL("..", import.meta.url).pathname,
      env: { [BACKEND_ENV]: "wasm", NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    assert.equal(code, 0, `conformance on wasm failed:\n${text.slice(-4000)}`);
  },
});
