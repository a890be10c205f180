import * as tf from "@tensorflow/tfjs";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { useBackend } from "./mod.ts";
import { copyBlock } from "./wasm_slice_kernels.ts";
import { Rng } from "../../core/random.ts";

/** Reference: element by element, by multi-index. */
function naiveBlock(
  src: Float32Array,
  shape: number[],
  begin: number[],
  size: number[],
): number[] {
  const out: number[] = [];
  const total = size.reduce((p, d) => p * d, 1);
  for (let i = 0; i < total; i++) {
    let rest = i, offset = 0, stride = 1;
    for (let k = shape.length - 1; k >= 0; k--) {
      const ik = rest % size[k]!;
      rest = Math.floor(rest / size[k]!);
      offset += (begin[k]! + ik) * stride;
      stride *= shape[k]!;
    }
    out.push(src[offset]!);
  }
  return out;
}

Deno.test("copyBlock() copies every block of random shapes like an element-wise copy", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const rank = 1 + rng.int(5);
    const shape = Array.from(
      { length: rank },
      () => 1 + rng.int(6),
    );
    const begin = shape.map((d) => rng.int(d));
    const size = shape.map((d, k) => rng.int(d - begin[k]! + 1));
    const n = shape.reduce((p, d) => p * d, 1);
    const src = Float32Array.from({ length: n }, (_, i) => i);
    const dst = new Float32Array(size.reduce((p, d) => p * d, 1));
    copyBlock(src, shape, begin, size, dst);
    assertEquals(
      [...dst],
      naiveBlock(src, shape, begin, size),
      `shape [${shape}] begin [${begin}] size [${size}]`,
    );
  }
});

Deno.test("Slice and SplitV on the wasm backend match the cpu backend, long runs and short", async () => {
  const cases: [number[], number[], number[]][] = [
    [[1, 9, 9, 40], [0, 2, 1, 0], [1, 5, 6, 40]],
    [[4, 3, 10, 8], [0, 0, 1, 0], [4, 3, 7, 8]],
    [[6, 5], [1, 2], [3, -1]],
    [[6, 50], [0, 0], [6, 49]],
    [[3, 4, 5, 6, 7], [1, 0, 2, 1, 3], [2, 4, 2, 3, 2]],
  ];
  const splits: [number[], number[], number][] = [
    [[4, 96, 7], [32, 32, 32], 1],
    [[10, 6], [3, 7], 0],
    [[2, 3, 9], [2, 5, 2], 2],
  ];
  const run = () =>
    tf.tidy(() => {
      const out: number[][] = [];
      for (const [shape, begin, size] of cases) {
        const x = tf.range(0, shape.reduce((p, d) => p * d, 1)).reshape(shape);
        out.push([...tf.slice(x, begin, size).dataSync()]);
        out.push([...tf.slice(x.toInt(), begin, size).dataSync()]);
      }
      for (const [shape, sizes, axis] of splits) {
        const x = tf.range(0, shape.reduce((p, d) => p * d, 1)).reshape(shape);
        for (const part of tf.split(x, sizes, axis)) {
          out.push([...part.dataSync()]);
        }
      }
      return out;
    });
  const previous = tf.getBackend();
  await useBackend("wasm", { quiet: true });
  const wasm = run();
  await tf.setBackend("cpu");
  const cpu = run();
  if (previous) await tf.setBackend(previous);
  assertEquals(wasm, cpu);
});
