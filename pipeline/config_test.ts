import assert from "node:assert/strict";
import { loadConfig, parseConfig } from "./config.ts";

Deno.test("parseConfig() fills defaults", () => {
  const c = parseConfig({}, "test");
  assert.equal(c.seed, 0);
  assert.equal(c.tile.tileSize, 256);
  assert.equal(c.train.model, "asmil");
  assert.equal(c.train.lr, 1e-4);
  assert.equal(c.embed.batchSize, 32);
});

Deno.test("parseConfig() names an unknown key, nested too", () => {
  assert.throws(
    () => parseConfig({ sead: 1 }, "a.json"),
    /Invalid configuration in a\.json: unknown key "sead"/,
  );
  assert.throws(
    () => parseConfig({ train: { epoch: 3 } }, "a.json"),
    /unknown key "train\.epoch"/,
  );
});

Deno.test("parseConfig() names a key with the wrong type", () => {
  assert.throws(
    () => parseConfig({ train: { epochs: "ten" } }, "b.json"),
    /"train\.epochs": Invalid input: expected number, received string/,
  );
  assert.throws(
    () => parseConfig({ tile: { minTissue: 2 } }, "b.json"),
    /"tile\.minTissue"/,
  );
});

Deno.test("loadConfig() reports unreadable and malformed files", async () => {
  await assert.rejects(
    loadConfig("/nonexistent/asmil.json"),
    /Cannot read configuration file "\/nonexistent\/asmil\.json"/,
  );
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, "{ nope");
  await assert.rejects(loadConfig(path), /is not valid JSON/);
  await Deno.writeTextFile(path, JSON.stringify({ seed: 7 }));
  assert.equal((await loadConfig(path)).seed, 7);
});
