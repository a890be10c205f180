import {
  deepEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import {
  inShard,
  parseShard,
  resolveShard,
  shardFromEnv,
  shardOf,
  shardOfStorePath,
  shardStorePath,
} from "./shard.ts";

const ids = Array.from({ length: 200 }, (_, i) => `slide-${i}`);
const byId = (id: string) => id;

Deno.test("inShard() partitions the slides: every slide in exactly one shard", () => {
  for (const count of [1, 2, 3, 4, 7]) {
    const shards = Array.from(
      { length: count },
      (_, index) => inShard(ids, { index, count }, byId),
    );
    const all = shards.flat().sort();
    assertEquals(all, [...ids].sort());
    assertEquals(new Set(all).size, ids.length);
  }
});

Deno.test("inShard() does not depend on the order the slides are listed in", () => {
  const reversed = [...ids].reverse();
  const shuffled = [...ids].sort((a, b) =>
    ((a.length * 31 + a.charCodeAt(a.length - 1)) % 7) -
    ((b.length * 31 + b.charCodeAt(b.length - 1)) % 7)
  );
  for (let index = 0; index < 4; index++) {
    const shard = { index, count: 4 };
    const want = inShard(ids, shard, byId).sort();
    assertEquals(inShard(reversed, shard, byId).sort(), want);
    assertEquals(inShard(shuffled, shard, byId).sort(), want);
  }
});

Deno.test("inShard() gives a subset of the cohort the same shards (a shard store re-partitions to itself)", () => {
  const shard = { index: 1, count: 4 };
  const mine = inShard(ids, shard, byId);
  assertEquals(inShard(mine, shard, byId), mine);
  const half = ids.slice(0, 100);
  assertEquals(
    inShard(half, shard, byId),
    mine.filter((id) => half.includes(id)),
  );
});

Deno.test("shardOf() is fixed for a given id and count (stable across reruns and releases)", () => {
  // Changing these moves slides between shards of runs already under way.
  assertEquals(
    ["synth_000", "synth_001", "synth_002", "synth_003"].map((id) =>
      shardOf(id, 4)
    ),
    [3, 1, 0, 1],
  );
});

Deno.test("shardOf() spreads many slides evenly", () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 8000; i++) counts[shardOf(`TCGA-${i}`, 4)]!++;
  for (const c of counts) {
    if (Math.abs(c - 2000) > 150) throw new Error(`uneven: ${counts}`);
  }
});

Deno.test("parseShard() reads i/n and refuses anything else, naming the option", () => {
  assertEquals(parseShard("0/1"), { index: 0, count: 1 });
  assertEquals(parseShard(" 3 / 4 "), { index: 3, count: 4 });
  assertThrows(() => parseShard("4/4"), /index must be in 0\.\.3, got 4/);
  assertThrows(() => parseShard("0/0"), /count must be a positive integer/);
  assertThrows(() => parseShard("1-4"), /--shard must be i\/n.*got "1-4"/);
});

Deno.test("shardFromEnv() reads a Slurm array task, relative to its first id and step", () => {
  assertEquals(
    shardFromEnv({ SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "4" }),
    { index: 2, count: 4 },
  );
  assertEquals(
    shardFromEnv({
      SLURM_ARRAY_TASK_ID: "5",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_STEP: "2",
      SLURM_ARRAY_TASK_COUNT: "4",
    }),
    { index: 2, count: 4 },
  );
  assertThrows(
    () =>
      shardFromEnv({ SLURM_ARRAY_TASK_ID: "9", SLURM_ARRAY_TASK_COUNT: "4" }),
    /SLURM_ARRAY_TASK_ID=9.*index must be in 0\.\.3/,
  );
  assertEquals(shardFromEnv({}), undefined);
});

Deno.test("shardFromEnv() reads a Kubernetes Indexed Job's index with its count", () => {
  assertEquals(
    shardFromEnv({ JOB_COMPLETION_INDEX: "1", ASMIL_SHARD_COUNT: "3" }),
    { index: 1, count: 3 },
  );
  assertEquals(shardFromEnv({ JOB_COMPLETION_INDEX: "1" }, 2), {
    index: 1,
    count: 2,
  });
  assertThrows(
    () => shardFromEnv({ JOB_COMPLETION_INDEX: "1" }),
    /JOB_COMPLETION_INDEX=1 is set but the shard count is not: set ASMIL_SHARD_COUNT/,
  );
});

Deno.test("resolveShard(): an explicit --shard wins over the environment, none turns sharding off", () => {
  const env = { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2" };
  assertEquals(resolveShard(undefined, env), { index: 1, count: 2 });
  assertEquals(resolveShard("0/3", env), { index: 0, count: 3 });
  assertEquals(resolveShard("none", env), undefined);
});

Deno.test("shardStorePath() puts a shard's store beside the main one, and shardOfStorePath() reads it back", () => {
  const p = shardStorePath("runs/study.duckdb", { index: 0, count: 12 });
  assertEquals(p, "runs/study.shard-0-of-12.duckdb");
  assertEquals(shardOfStorePath(p), { index: 0, count: 12 });
  assertEquals(shardOfStorePath("runs/study.duckdb"), undefined);
  assertThrows(
    () => shardStorePath(":memory:", { index: 0, count: 2 }),
    /needs a store file/,
  );
});
