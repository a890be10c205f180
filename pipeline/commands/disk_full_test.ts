/**
 * A full disk under the store during `asmil embed`: the command fails
 * saying the disk is full (not a stray transaction error), and once space
 * is freed the same command completes with the store equal to an
 * uninterrupted run's. The store lives on a small tmpfs, so the test needs
 * root and `mount`; elsewhere it is skipped with the reason (under CI, or
 * with ASMIL_REQUIRE_SYSTEM_LIBS=1, it is required).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { systemLibsRequired } from "../../testing/system_libs.ts";
import { SKIP_LOG_ENV } from "../../testing/run_tests.ts";
import { asmil, asmilOk, asmilSql } from "../../testing/asmil_process.ts";
import { tileArgs, tinyCohort } from "../../testing/tiny_cohort.ts";

function run(cmd: string, ...args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Whether a tmpfs can be mounted here (root, mount available). */
function canMountTmpfs(): boolean {
  if (Deno.uid() !== 0) return false;
  const probe = Deno.makeTempDirSync({ prefix: "asmil-tmpfs-probe-" });
  try {
    const mounted = run(
      "mount",
      "-t",
      "tmpfs",
      "-o",
      "size=1m",
      "tmpfs",
      probe,
    );
    if (mounted) run("umount", probe);
    return mounted;
  } finally {
    Deno.removeSync(probe, { recursive: true });
  }
}

function skipUnlessTmpfs(what: string): { ignore: boolean } {
  if (canMountTmpfs() || systemLibsRequired()) return { ignore: false };
  console.error(`skipped: needs root and mount -t tmpfs (${what})`);
  const log = Deno.env.get(SKIP_LOG_ENV);
  if (log) {
    Deno.writeTextFileSync(log, `root+tmpfs\t${what}\n`, { append: true });
  }
  return { ignore: true };
}

/** Fills the file system of `dir` with a file, leaving about `leave` bytes. */
async function fill(dir: string, leave: number): Promise<string> {
  const path = join(dir, "filler");
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(64 * 1024);
  let size = 0;
  try {
    for (;;) {
      const n = await file.write(chunk);
      size += n;
      if (n < chunk.length) break;
    }
  } catch {
    // ENOSPC: full.
  }
  await file.truncate(Math.max(0, size - leave));
  file.close();
  return path;
}

const EMBEDDINGS =
  "select count(*) as n, count(distinct slide) as slides, sum(hash(slide, tile, encoder, features)) as h from embeddings";

Deno.test({
  name:
    "embed on a full disk fails saying so, and after space is freed the rerun completes with nothing lost",
  ...skipUnlessTmpfs("disk-full test"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "asmil-disk-full-" });
    const mnt = join(dir, "mnt");
    await Deno.mkdir(mnt);
    let mounted = false;
    try {
      const cohort = await tinyCohort({ slides: 4 });
      const tiled = join(dir, "tiled.duckdb");
      await asmilOk(["--db", tiled, ...tileArgs(cohort.dir)]);
      // The same tiles embedded on a disk with room: what the store must hold.
      const reference = join(dir, "reference.duckdb");
      await Deno.copyFile(tiled, reference);
      await asmilOk(["--db", reference, "embed"]);

      assert.ok(
        run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt),
        "mount -t tmpfs",
      );
      mounted = true;
      const db = join(mnt, "s.duckdb");
      await Deno.copyFile(tiled, db);
      // Room for about one slide's embeddings (9 tiles × 1280 floats).
      const filler = await fill(mnt, 80 * 1024);

      const full = await asmil(["--db", db, "embed"]);
      assert.equal(full.code, 1, full.stdout);
      assert.match(
        full.stderr,
        new RegExp(
          `asmil: The disk holding run store "${db}" is full: free space in ${mnt} \\(or move the store and give its new path with --db\\), then run the same command again; what was committed is kept and the rest is redone\\. \\(.*No space left on device`,
        ),
      );
      assert.doesNotMatch(full.stderr, /cannot rollback/);

      await Deno.remove(filler);
      const rerun = await asmilOk(["--db", db, "embed"]);
      assert.match(
        rerun.stdout,
        /slides embedded, [1-9] already done, 0 failed/,
      );
      assert.equal(
        await asmilSql(db, EMBEDDINGS),
        await asmilSql(reference, EMBEDDINGS),
      );
    } finally {
      if (mounted) run("umount", mnt);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
