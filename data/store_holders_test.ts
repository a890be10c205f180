import assert from "node:assert/strict";
import { join } from "node:path";
import {
  holdersFolder,
  isLockConflict,
  lockConflictMessage,
  registerHolder,
  storeHolders,
} from "./store_holders.ts";

Deno.test("registerHolder() leaves a file beside the store until released; storeHolders() drops processes that are gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asmil-holders-" });
  try {
    const db = join(dir, "s.duckdb");
    const release = registerHolder(db, "write");
    const own = JSON.parse(
      await Deno.readTextFile(join(holdersFolder(db), `${Deno.pid}.json`)),
    );
    assert.equal(own.pid, Deno.pid);
    assert.equal(own.mode, "write");
    assert.deepEqual(storeHolders(db), [], "this process is not listed");
    const folder = holdersFolder(db);
    const other = {
      pid: 1,
      command: "asmil train",
      mode: "write",
      since: "2026-01-01T00:00:00.000Z",
    };
    await Deno.writeTextFile(join(folder, "1.json"), JSON.stringify(other));
    await Deno.writeTextFile(
      join(folder, "999999999.json"),
      JSON.stringify({ ...other, pid: 999999999 }),
    );
    // Deno reads /proc only with --allow-all (the test task grants less):
    // without it every holder counts as alive and stale files stay.
    const procfs = await Deno.stat("/proc/self").then(() => true, () => false);
    if (!procfs) await Deno.remove(join(folder, "999999999.json"));
    if (procfs) {
      assert.deepEqual(storeHolders(db), [other]);
      assert.equal(
        await Deno.stat(join(folder, "999999999.json")).then(() => 1, () => 0),
        0,
        "a stale holder file is removed",
      );
    }
    await Deno.remove(join(folder, "1.json"));
    release();
    assert.equal(await Deno.stat(folder).then(() => 1, () => 0), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockConflictMessage() names a process without a holder file by DuckDB's PID and program", () => {
  const duckdb =
    'IO Error: Could not set lock on file "s.duckdb": Conflicting lock is held in /usr/bin/duckdb (PID 77).';
  assert.ok(isLockConflict(duckdb));
  assert.ok(!isLockConflict("Catalog Error: Table x does not exist"));
  assert.match(
    lockConflictMessage("s.duckdb", duckdb, []),
    /in use by \/usr\/bin\/duckdb \(PID 77\), not an asmil command .*--wait SECONDS.*kill 77/,
  );
  // A reader holding it: no advice to stop it.
  const reader = lockConflictMessage("s.duckdb", duckdb, [{
    pid: 77,
    command: "asmil sql 'select 1'",
    mode: "read",
    since: "2026-01-01T00:00:00.000Z",
  }]);
  assert.match(reader, /asmil sql 'select 1' \(PID 77, reading since/);
  assert.doesNotMatch(reader, /kill/);
});
