import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { currentBackend, useBackend } from "./use_backend.ts";
import {
  DEFAULT_OPENBLAS_PATH,
  OpenBlas,
  OPENBLAS_PATH_ENV,
} from "./openblas.ts";
import { BACKEND_ENV, useBackendFromEnv } from "./backend_from_env.ts";
import { needs } from "../../testing/system_libs.ts";

const noBlas = () =>
  needs("libopenblas0-pthread", "backend selection with OpenBLAS").ignore;

async function stderrOf(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return lines;
}

Deno.test(
  "useBackend('auto') picks blas when OpenBLAS loads and logs one line saying why",
  { ignore: noBlas() },
  async () => {
    const lines = await stderrOf(() => useBackend("auto", { threads: 2 }));
    const info = currentBackend();
    assert.equal(info?.name, "blas");
    assert.equal(info?.openblasPath, DEFAULT_OPENBLAS_PATH);
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^asmil backend: blas .*2 threads.*tfjs-node not importable.*OpenBLAS loaded/,
    );
  },
);

Deno.test(
  "useBackend() logs nothing when quiet",
  { ignore: noBlas() },
  async () => {
    assert.deepEqual(
      await stderrOf(() => useBackend("blas", { quiet: true })),
      [],
    );
  },
);

Deno.test("useBackend('blas') sets the OpenBLAS thread count", {
  ignore: noBlas(),
}, async () => {
  await useBackend("blas", { threads: 1, quiet: true });
  assert.equal(OpenBlas.open().threads(), 1);
  await useBackend("blas", { threads: 2, quiet: true });
  assert.equal(OpenBlas.open().threads(), 2);
});

Deno.test("useBackend('auto') falls back to wasm naming the OpenBLAS path that failed", async () => {
  const info = await useBackend("auto", {
    quiet: true,
    openblasPath: "/nonexistent/libopenblas.so",
  });
  assert.equal(info.name, "wasm");
  assert.match(
    info.reason,
    /Cannot load OpenBLAS from "\/nonexistent\/libopenblas.so"/,
  );
});

Deno.test("useBackend('blas') honours ASMIL_OPENBLAS and fails naming it", async () => {
  Deno.env.set(OPENBLAS_PATH_ENV, "/nonexistent/other.so");
  try {
    await assert.rejects(
      useBackend("blas", { quiet: true }),
      /Cannot load OpenBLAS from "\/nonexistent\/other.so"/,
    );
  } finally {
    Deno.env.delete(OPENBLAS_PATH_ENV);
  }
});

Deno.test("useBackend('tensorflow') explains that tfjs-node cannot be imported", async () => {
  await assert.rejects(
    useBackend("tensorflow", { quiet: true }),
    /needs @tensorflow\/tfjs-node or @tensorflow\/tfjs-node-gpu.*Use "blas" or "wasm"/s,
  );
});

Deno.test("useBackend('cpu') and useBackend('wasm') switch the tfjs backend", async () => {
  assert.equal((await useBackend("cpu", { quiet: true })).tfBackend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  const wasm = await useBackend("wasm", { quiet: true });
  assert.equal(wasm.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("useBackend() rejects an unknown backend and a bad thread count", async () => {
  await assert.rejects(
    useBackend("gpu" as "cpu"),
    /one of auto, blas, wasm, cpu, tensorflow, webgpu: got "gpu"/,
  );
  await assert.rejects(
    useBackend("blas", { threads: 0 }),
    /positive integer: current value is 0/,
  );
});

Deno.test("useBackendFromEnv() reads ASMIL_BACKEND and rejects unknown values", async () => {
  Deno.env.set(BACKEND_ENV, "cpu");
  try {
    assert.equal((await useBackendFromEnv({ quiet: true })).name, "cpu");
    Deno.env.set(BACKEND_ENV, "fast");
    await assert.rejects(
      useBackendFromEnv(),
      /ASMIL_BACKEND must be one of .*got "fast"/,
    );
  } finally {
    Deno.env.delete(BACKEND_ENV);
  }
});
