import assert from "node:assert/strict";
import { listBenches, main } from "./main.ts";

async function quietly<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; out: string }> {
  const lines: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = console.error = (...args: unknown[]) =>
    lines.push(args.join(" "));
  try {
    return { value: await fn(), out: lines.join("\n") };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

Deno.test("listBenches() finds bench files by convention, skipping main and tests", () => {
  const names = listBenches();
  assert.ok(names.includes("train-step"));
  assert.ok(!names.includes("main") && !names.some((n) => n.endsWith("-test")));
});

Deno.test("main() without a name lists the benches with their summaries", async () => {
  const { value, out } = await quietly(() => main([]));
  assert.equal(value, 0);
  assert.match(out, /train-step\s+Gated-ABMIL training step/);
});

Deno.test("main() rejects an unknown bench naming the available ones", async () => {
  const { value, out } = await quietly(() => main(["no-such-bench"]));
  assert.equal(value, 2);
  assert.match(
    out,
    /Unknown bench "no-such-bench": expected one of .*train-step/,
  );
});
