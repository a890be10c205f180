import assert from "node:assert/strict";
import { decodeTensorFile, TensorFileWriter } from "./tensor_file.ts";

const FORMAT = { magic: "TESTFMT1", kind: "a test file" };

Deno.test("TensorFileWriter lays arrays out in order and decodeTensorFile() reads them back at their offsets", () => {
  const file = new TensorFileWriter();
  const a = file.add(Float32Array.of(1, -2.5, 3));
  const b = file.add(new Float32Array(0));
  const c = file.add(Float32Array.of(0.125));
  assert.deepEqual([a, b, c], [0, 12, 12]);
  const bytes = file.encode(FORMAT, { note: "é", a, c });
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "TESTFMT1");
  assert.equal((bytes.length - 16) % 4, 0, "data starts 4-byte aligned");
  // An unaligned copy still reads.
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  const read = decodeTensorFile<{ note: string; a: number; c: number }>(
    shifted,
    FORMAT,
    "test",
  );
  assert.equal(read.header.note, "é");
  assert.deepEqual([...read.array(read.header.a, 3, "a")], [1, -2.5, 3]);
  assert.deepEqual([...read.array(read.header.c, 1, "c")], [0.125]);
});

Deno.test("decodeTensorFile() names the file and what it expected for another magic, a cut header or cut data", () => {
  const file = new TensorFileWriter();
  file.add(Float32Array.of(1, 2));
  const bytes = file.encode(FORMAT, { x: 0 });
  assert.throws(
    () =>
      decodeTensorFile(
        bytes,
        { magic: "OTHERFM1", kind: "another file" },
        "f.bin",
      ),
    /f\.bin is not another file: expected it to start with "OTHERFM1", got "TESTFMT1"/,
  );
  assert.throws(
    () => decodeTensorFile(bytes.subarray(0, 15), FORMAT, "f.bin"),
    /f\.bin is truncated: its header needs bytes up to 19, the file has 15/,
  );
  const cut = decodeTensorFile(
    bytes.subarray(0, bytes.length - 4),
    FORMAT,
    "f.bin",
  );
  assert.throws(
    () => cut.array(0, 2, 'array "x"'),
    /f\.bin is truncated: array "x" needs bytes up to 8, the data has 4/,
  );
});

Deno.test("TensorFileWriter refuses a magic that is not 8 bytes", () => {
  assert.throws(
    () => new TensorFileWriter().encode({ magic: "SHORT", kind: "x" }, {}),
    /magic must be 8 ASCII bytes: got "SHORT" \(5 bytes\)/,
  );
});
