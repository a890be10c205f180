/**
 * The conformance suite every {@linkcode Encoder} implementation runs:
 * feature sizes, determinism, batch-versus-single equality, resizing and
 * clear errors on bad input. Call it from a `*_test.ts` file.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Rng } from "../core/random.ts";
import type { Encoder, RgbImage } from "../stages/embed/encoder.ts";

/** How to build the encoder under test. */
export interface EncoderCase {
  /** Shown in the test names. */
  label: string;
  /** A fresh encoder; the suite closes it. */
  newEncoder: () => Promise<Encoder>;
  /** Largest allowed |batched − single| feature difference (default 1e-4). */
  batchTolerance?: number;
}

/** A random RGB image of the given size. */
export function randomImage(rng: Rng, width: number, height = width): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(256);
  return { rgb, width, height };
}

/**
 * Registers the shared encoder tests for one implementation.
 *
 * @example
 * ```ts ignore
 * import { encoderConformance } from "./encoder_conformance.ts";
 * encoderConformance({ label: "MobileNetV2", newEncoder: () => createMobileNetV2Encoder() });
 * ```
 */
export function encoderConformance(c: EncoderCase): void {
  const tol = c.batchTolerance ?? 1e-4;
  const test = (name: string, fn: (e: Encoder) => Promise<void>) =>
    Deno.test(`${c.label}: ${name}`, async () => {
      const encoder = await c.newEncoder();
      try {
        await fn(encoder);
      } finally {
        await encoder.close();
      }
    });

  test("gives one finite feature vector of length dim per image", async (e) => {
    assert.ok(Number.isInteger(e.dim) && e.dim > 0, `dim ${e.dim}`);
    assert.ok(e.name.length > 0);
    const rng = new Rng(1);
    const rows = await e.embed(
      [0, 1, 2].map(() => randomImage(rng, e.inputSize)),
    );
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.ok(row instanceof Float32Array);
      assert.equal(row.length, e.dim);
      assert.ok(row.every(Number.isFinite));
    }
    assert.notDeepEqual(
      rows[0],
      rows[1],
      "different images, different features",
    );
  });

  test("has a fingerprint and source, the same when opened again", async (e) => {
    assert.ok(e.fingerprint.length > 0 && e.source.length > 0);
    const again = await c.newEncoder();
    try {
      assert.equal(again.fingerprint, e.fingerprint);
    } finally {
      await again.close();
    }
  });

  test("is deterministic across calls", async (e) => {
    const rng = new Rng(2);
    const batch = [
      randomImage(rng, e.inputSize),
      randomImage(rng, e.inputSize),
    ];
    assert.deepEqual(await e.embed(batch), await e.embed(batch));
  });

  test("gives the same features for an image alone or inside a batch", async (e) => {
    const rng = new Rng(3);
    const batch = [0, 1, 2, 3].map(() => randomImage(rng, e.inputSize));
    const together = await e.embed(batch);
    for (let i = 0; i < batch.length; i++) {
      const [alone] = await e.embed([batch[i]!]);
      const diff = alone!.reduce(
        (m, v, j) => Math.max(m, Math.abs(v - together[i]![j]!)),
        0,
      );
      assert.ok(
        diff <= tol,
        `image ${i}: batched vs single differ by ${diff} > ${tol}`,
      );
    }
  });

  test("equals infer(prepare(batch)) and resizes other tile sizes", async (e) => {
    const rng = new Rng(4);
    const batch = [
      randomImage(rng, e.inputSize + 32),
      randomImage(rng, 40, 70),
    ];
    const direct = await e.embed(batch);
    assert.deepEqual(await e.infer(e.prepare(batch)), direct);
    assert.equal(direct[1]!.length, e.dim);
  });

  test("returns no rows for an empty batch", async (e) => {
    assert.deepEqual(await e.embed([]), []);
  });

  test("rejects images whose pixel count does not match their size", async (e) => {
    const bad = { rgb: new Uint8Array(10), width: 4, height: 4 };
    await assert.rejects(
      e.embed([bad]),
      /4×4×3 = 48 RGB bytes .*current length is 10/,
    );
    const tile = { ...bad, slideId: "slide-7", index: 3 };
    await assert.rejects(e.embed([tile]), /tile 3 of slide slide-7/);
    await assert.rejects(
      e.embed([{ rgb: new Uint8Array(0), width: 0, height: 5 }]),
      /positive integer width and height .*0×5/,
    );
  });

  test("rejects work after close()", async (e) => {
    await e.close();
    await assert.rejects(
      e.embed([randomImage(new Rng(5), e.inputSize)]),
      /closed/,
    );
  });
}
