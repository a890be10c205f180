import assert from "node:assert/strict";
import { DiskFullError, diskFullError, isDiskFull } from "./disk_full.ts";

Deno.test("diskFullError() turns DuckDB's out-of-space errors into one naming the store and the folder to free", () => {
  for (
    const m of [
      'TransactionContext Error: Failed to commit: Could not write file "/m/s.duckdb.wal": No space left on device',
      "IO Error: ENOSPC while writing",
      "Disk quota exceeded",
    ]
  ) assert.ok(isDiskFull(m), m);
  const other = new Error("Catalog Error: Table x does not exist");
  assert.equal(diskFullError("/m/s.duckdb", other), other);
  const e = diskFullError(
    "/m/s.duckdb",
    new Error("Could not write file: No space left on device"),
  );
  assert.ok(e instanceof DiskFullError);
  assert.match(
    e.message,
    /^The disk holding run store "\/m\/s\.duckdb" is full: free space in \/m .*run the same command again.*\(Could not write file: No space left on device\)$/,
  );
  assert.equal(diskFullError("/m/s.duckdb", e), e, "not wrapped twice");
});
