/**
 * A second process on a store another one holds (a training run, say):
 * refused at once naming the holder's command, PID and how to wait, or,
 * with --wait, opened as soon as the holder lets go.
 */
import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { holdersFolder } from "../../data/store_holders.ts";
import { asmil } from "../../testing/asmil_process.ts";

const HOLDER = `
import { Store } from "${new URL("../../data/store.ts", import.meta.url).href}";
import { describeStoreHolder } from "${
  new URL("../../data/store_holders.ts", import.meta.url).href
}";
const [db, command] = Deno.args;
describeStoreHolder(command);
const store = await Store.open(db);
console.log("holding");
// Until the test closes stdin.
for await (const _ of Deno.stdin.readable) { /* wait */ }
store.close();
`;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name:
    "a store held by another asmil process is refused naming its command and PID, and --wait opens it once released",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-lock-" });
    const db = `${dir}/s.duckdb`;
    const made = await Store.open(db);
    await made.transaction((tx) =>
      tx.upsertSlide({ id: "s1", path: "/x/s1.tiff", status: "tiled" })
    );
    made.close();
    assert.equal(await exists(holdersFolder(db)), false, "removed on close");

    const command = `asmil --db ${db} train --model abmil --epochs 50`;
    const holder = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", HOLDER, db, command],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = holder.stdout.getReader();
    const ready = await out.read();
    assert.match(new TextDecoder().decode(ready.value), /holding/);
    try {
      const r = await asmil(["--db", db, "sql", "select count(*) from slides"]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `Run store ".*s\\.duckdb" is in use by asmil --db .*s\\.duckdb train --model abmil --epochs 50 \\(PID ${holder.pid}, writing since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)\\. DuckDB lets one process write a store and no other process open it meanwhile.*Wait for it: give --wait SECONDS.*or stop it \\(kill ${holder.pid}\\): training, tiling and embedding resume`,
        ),
      );

      // Waiting: the holder lets go after a moment, the query then runs.
      const waiting = asmil([
        "--db",
        db,
        "--wait",
        "60",
        "sql",
        "--format",
        "csv",
        "select count(*) as n from slides",
      ]);
      await new Promise((r) => setTimeout(r, 1500));
      await holder.stdin.close();
      const waited = await waiting;
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(waited.stdout, "n\n1\n");
    } finally {
      await holder.stdin.close().catch(() => {});
      await out.cancel();
      await holder.status;
    }
    assert.equal(await exists(holdersFolder(db)), false);
    await Deno.remove(dir, { recursive: true });
  },
});
