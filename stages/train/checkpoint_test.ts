import assert from "node:assert/strict";
import {
  type Checkpoint,
  encodeCheckpoint,
  readCheckpoint,
} from "./checkpoint.ts";

/** A checkpoint of two variables and one optimiser group, as the writer before core/tensor_file.ts wrote it. */
const OLD_CHECKPOINT =
  "QVNNSUxDSzJVAgAAeyJydW4iOiJyMSIsImVwb2NoIjoyLCJybmdTdGF0ZSI6MTIzNDUsImJlc3QiOnsiZXBvY2giOjEsInNjb3JlIjowLjc1fSwic3RvcmUiOnsiaWQiOiJzLTEiLCJwYXRoIjoiL3RtcC94LmR1Y2tkYiJ9LCJvcHRpbWl6ZXJTdGVwcyI6WzZdLCJvcHRpbWl6ZXJWYXJpYWJsZVN0ZXBzIjpbWzUsNl1dLCJhcnJheXMiOlt7ImtpbmQiOiJ2YXIiLCJuYW1lIjoiZmMudyIsInNoYXBlIjpbMiwyXSwib2Zmc2V0IjowLCJsZW5ndGgiOjR9LHsia2luZCI6InZhciIsIm5hbWUiOiJmYy5iIiwic2hhcGUiOlsyXSwib2Zmc2V0IjoxNiwibGVuZ3RoIjoyfSx7ImtpbmQiOiJtIiwibmFtZSI6ImZjLnciLCJzaGFwZSI6WzRdLCJvZmZzZXQiOjI0LCJsZW5ndGgiOjQsImdyb3VwIjowfSx7ImtpbmQiOiJ2IiwibmFtZSI6ImZjLnciLCJzaGFwZSI6WzRdLCJvZmZzZXQiOjQwLCJsZW5ndGgiOjQsImdyb3VwIjowfSx7ImtpbmQiOiJtIiwibmFtZSI6ImZjLmIiLCJzaGFwZSI6WzJdLCJvZmZzZXQiOjU2LCJsZW5ndGgiOjIsImdyb3VwIjowfSx7ImtpbmQiOiJ2IiwibmFtZSI6ImZjLmIiLCJzaGFwZSI6WzJdLCJvZmZzZXQiOjY0LCJsZW5ndGgiOjIsImdyb3VwIjowfV19AAAAAADAPwAAAMAAAIA+AABAQAAAAD8AAAC+zczMPc3MTD6amZk+zczMPgAAgD8AAABAAABAQAAAgEDNzMy9zcxMvgrXIzwK16M8";

/** What {@link OLD_CHECKPOINT} holds. */
const CONTENT: Checkpoint = {
  run: "r1",
  epoch: 2,
  rngState: 12345,
  best: { epoch: 1, score: 0.75 },
  store: { id: "s-1", path: "/tmp/x.duckdb" },
  variables: [
    { name: "fc.w", shape: [2, 2], values: Float32Array.of(1.5, -2, 0.25, 3) },
    { name: "fc.b", shape: [2], values: Float32Array.of(0.5, -0.125) },
  ],
  optimizers: [{
    step: 6,
    moments: [
      {
        name: "fc.w",
        m: Float32Array.of(0.1, 0.2, 0.3, 0.4),
        v: Float32Array.of(1, 2, 3, 4),
        step: 5,
      },
      {
        name: "fc.b",
        m: Float32Array.of(-0.1, -0.2),
        v: Float32Array.of(0.01, 0.02),
        step: 6,
      },
    ],
  }],
};

Deno.test("a checkpoint written by the earlier writer still reads, and the same content encodes to the same bytes", async () => {
  const old = Uint8Array.from(atob(OLD_CHECKPOINT), (c) => c.charCodeAt(0));
  const dir = await Deno.makeTempDir({ prefix: "asmil-checkpoint-" });
  try {
    await Deno.writeFile(`${dir}/checkpoint.bin`, old);
    const read = await readCheckpoint(`${dir}/checkpoint.bin`);
    assert.deepEqual(read, CONTENT);
    assert.deepEqual(encodeCheckpoint(CONTENT), old);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCheckpoint() names the file when it is not a checkpoint or is cut short", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-checkpoint-" });
  try {
    const bytes = encodeCheckpoint(CONTENT);
    await Deno.writeFile(`${dir}/weights.bin`, bytes.subarray(0, 4));
    await assert.rejects(
      readCheckpoint(`${dir}/weights.bin`),
      /Checkpoint .*weights\.bin is not an asmil checkpoint: expected it to start with "ASMILCK2"/,
    );
    await Deno.writeFile(`${dir}/cut.bin`, bytes.subarray(0, bytes.length - 4));
    await assert.rejects(
      readCheckpoint(`${dir}/cut.bin`),
      /Checkpoint .*cut\.bin is truncated: v "fc\.b" needs bytes up to 72/,
    );
    assert.equal(await readCheckpoint(`${dir}/absent.bin`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
