import assert from "node:assert/strict";
import type * as h5wasm from "h5wasm";
import {
  fixtureCoords,
  fixtureFeatures,
  writeAcmilFile,
  writeClamFolder,
} from "../../testing/h5_fixtures.ts";
import {
  dataset,
  halfToFloat,
  readMatrix,
  readRows,
  withH5File,
  writeH5File,
} from "./h5_file.ts";

Deno.test("halfToFloat() decodes normals, subnormals, zero signs, infinities and NaN", () => {
  const bits = [
    0x3c00,
    0xc000,
    0x0001,
    0x8000,
    0x7c00,
    0xfc00,
    0x7e00,
    0x7bff,
    0x3555,
  ];
  const bytes = new Uint8Array(new Uint16Array(bits).buffer);
  const f = halfToFloat(bytes);
  assert.deepEqual(Array.from(f.subarray(0, 8)), [
    1,
    -2,
    2 ** -24,
    -0,
    Infinity,
    -Infinity,
    NaN,
    65504,
  ]);
  assert.equal(f[8], 0.333251953125);
});

Deno.test("halfToFloat() decodes every bit pattern the same from aligned and unaligned bytes", () => {
  const aligned = new Uint8Array(
    new Uint16Array(65536).map((_, i) => i).buffer,
  );
  const unaligned = new Uint8Array(aligned.length + 1).subarray(1);
  unaligned.set(aligned);
  const a = halfToFloat(aligned), b = halfToFloat(unaligned);
  for (let i = 0; i < 65536; i++) {
    assert.ok(
      Object.is(a[i], b[i]),
      `bits 0x${i.toString(16)}: ${a[i]} vs ${b[i]}`,
    );
  }
});

const dir = await Deno.makeTempDir({ prefix: "asmil-h5-" });

Deno.test("readRows() in small blocks gives byte-identical rows to a whole read", async () => {
  const [file] = await writeClamFolder(`${dir}/clam`, {
    slides: 1,
    tiles: 4000,
    dim: 64,
  });
  await withH5File(file!, async (h5) => {
    const d = dataset(h5, "features", "slide");
    const whole = await readMatrix(d, "slide");
    assert.deepEqual(whole.data, fixtureFeatures(0, 4000, 64));
    const blocks: [number, number][] = [];
    const blocked = await readRows(d, "slide", 0, 4000, {
      blockBytes: 100_000,
      onBlock: (_, from, to) => blocks.push([from, to]),
    });
    assert.deepEqual(
      new Uint8Array(blocked.buffer),
      new Uint8Array(whole.data.buffer),
    );
    assert.equal(blocks.length, Math.ceil(4000 / Math.floor(100_000 / 256)));
    assert.deepEqual(blocks.at(-1), [3900, 4000]);
    const into = new Float32Array(100 * 64);
    assert.equal(await readRows(d, "slide", 500, 600, { into }), into);
    assert.deepEqual(into, whole.data.subarray(500 * 64, 600 * 64));
    const coords = dataset(h5, "coords", "slide"); // int32
    assert.deepEqual(
      await readRows(coords, "slide", 0, 4000, { blockBytes: 1000 }),
      Float32Array.from(fixtureCoords(4000)),
    );
  });
});

Deno.test("readRows() reads from disk only the rows asked for, in blocks no larger than asked", async () => {
  const [file] = await writeClamFolder(`${dir}/trace`, {
    slides: 1,
    tiles: 4000,
    dim: 64,
  });
  const datasetBytes = 4000 * 64 * 4;
  await withH5File(file!, async (h5, trace) => {
    const d = dataset(h5, "features", "slide");
    let before = trace.bytesRead;
    await readRows(d, "slide", 500, 600);
    // 100 rows are 25.6 kB; HDF5 reads small selections through its 64 KiB sieve buffer
    assert.ok(
      trace.bytesRead - before <= 64 * 1024 + 4096,
      `${trace.bytesRead - before} bytes`,
    );
    before = trace.bytesRead;
    trace.largestRead = 0;
    await readRows(d, "slide", 0, 4000, { blockBytes: 128 * 1024 });
    assert.ok(
      trace.largestRead <= 128 * 1024,
      `largest read ${trace.largestRead}`,
    );
    assert.ok(trace.bytesRead - before <= datasetBytes + 4096);
  });
});

Deno.test("readRows() decodes float16 datasets block by block to the float16-rounded values", async () => {
  const ids = await writeAcmilFile(`${dir}/acmil.h5`, {
    slides: 2,
    tiles: 300,
    dim: 10,
  });
  await withH5File(`${dir}/acmil.h5`, async (h5) => {
    for (const [s, id] of ids.entries()) {
      const d = dataset(h5.get(id) as h5wasm.Group, "feat", id);
      assert.equal(d.dtype, "<e");
      const want = new Float32Array(
        new Float16Array(fixtureFeatures(s, 300, 10)),
      );
      assert.deepEqual(
        await readRows(d, id, 0, 300, { blockBytes: 1000 }),
        want,
      );
      assert.deepEqual(await readRows(d, id, 7, 9), want.subarray(70, 90));
    }
  });
});

Deno.test("readRows() rejects rows outside the dataset and an output of the wrong length", async () => {
  const [file] = await writeClamFolder(`${dir}/range`, {
    slides: 1,
    tiles: 5,
    dim: 3,
  });
  await withH5File(file!, async (h5) => {
    const d = dataset(h5, "features", "s");
    await assert.rejects(
      readRows(d, "s", 2, 6),
      /s: rows \[2, 6\) are outside \[0, 5\)/,
    );
    await assert.rejects(
      readRows(d, "s", 0, 2, { into: new Float32Array(5) }),
      /s: rows \[0, 2\) need 6 floats: current output holds 5/,
    );
  });
});

Deno.test("writeH5File() removes the file when filling it fails", async () => {
  await assert.rejects(
    writeH5File(`${dir}/broken.h5`, () => {
      throw new Error("no data");
    }),
    /no data/,
  );
  await assert.rejects(Deno.stat(`${dir}/broken.h5`), Deno.errors.NotFound);
});

Deno.test("h5_file tests' temporary folder is removed", async () => {
  await Deno.remove(dir, { recursive: true });
});
