import assert from "node:assert/strict";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildCli } from "./cli.ts";
import { CONFIG_DEFAULTS } from "./config.ts";
import { ANCHOR_DEFAULTS, ANCHOR_PRESETS } from "../models/anchor.ts";
import { asmil } from "../testing/asmil_process.ts";

/**
 * Commands owned by work in progress elsewhere, not yet in the shared
 * style: `experiment` (pipeline/commands/experiment_command.ts) still writes
 * its defaults into the description text, and `synth-features` shows none
 * for --out-store / --out-h5 (one of the two is needed).
 */
const NOT_YET = new Set(["experiment", "synth-features"]);

/** `asmil <name> --help` in this process: the help text and the command. */
async function help(
  name: string,
): Promise<{ text: string; command: CommandUnknownOpts }> {
  const program = buildCli();
  let text = "";
  for (const c of [program, ...program.commands]) {
    c.exitOverride().configureOutput({
      writeOut: (s) => text += s,
      writeErr: (s) => text += s,
    });
  }
  await assert.rejects(
    program.parseAsync([name, "--help"], { from: "user" }),
    (e: { code?: string }) => e.code === "commander.helpDisplayed",
  );
  const command = program.commands.find((c) => c.name() === name)!;
  return { text: text.replace(/\s+/g, " "), command };
}

function commandNames(): string[] {
  return buildCli().commands.map((c) => c.name()).filter((n) =>
    !NOT_YET.has(n)
  );
}

Deno.test("every option that takes a value shows its default or that it is required, in one style", async () => {
  for (const name of commandNames()) {
    const { text, command } = await help(name);
    const describe = command.createHelp();
    for (const option of command.options) {
      if (!option.required) continue; // flags, and --options [name]
      const shown = describe.optionDescription(option);
      assert.match(
        shown,
        /\((required\b.*|.*default: .+)\)$/,
        `asmil ${name} ${option.flags}: "${shown}"`,
      );
      assert.doesNotMatch(shown, /\(default \d/, `${name} ${option.flags}`);
      assert.ok(
        text.includes(shown.replace(/\s+/g, " ")),
        `asmil ${name} --help lacks "${shown}"`,
      );
    }
  }
});

Deno.test("--help shows the configuration schema's defaults and the anchor's", async () => {
  const tile = (await help("tile")).text;
  assert.match(
    tile,
    new RegExp(
      `--tile-size <px> .*\\(default: ${CONFIG_DEFAULTS.tile.tileSize}\\)`,
    ),
  );
  assert.match(tile, /--min-tissue <f> .*\(default: 0\.5\)/);
  assert.match(tile, /--slides <dir\|csv> .*\(required\)/);
  assert.match(tile, /--qc <dir> .*\(default: <store folder>\/qc/);
  const train = (await help("train")).text;
  assert.match(
    train,
    new RegExp(`--epochs <n> .*\\(default: ${CONFIG_DEFAULTS.train.epochs}\\)`),
  );
  assert.match(train, /--lr <x> .*\(default: 0\.0001\)/);
  assert.match(
    train,
    new RegExp(
      `--anchor-momentum <m> .*\\(default: ${ANCHOR_DEFAULTS.momentum}\\)`,
    ),
  );
  assert.match(
    train,
    /--anchor-init <init> .*\(choices: "copy", "independent", default: "copy"\)/,
  );
  assert.match(
    train,
    /--anchor-preset <name> .*measured in bench\/results\/anchor.md.*\(choices: "faithful", "stable", "teacher", default: "faithful"\)/,
  );
  const stable = ANCHOR_PRESETS.stable;
  assert.ok(
    train.includes(
      `ramped ${stable.momentumStart} → ${ANCHOR_DEFAULTS.momentum} over ${stable.momentumRamp} epochs, ${stable.warmupEpochs} warm-up epochs`,
    ),
    "the stable preset's notes state its values",
  );
  assert.match(train, /divided by ln N/);
  assert.match(train, /--selection <rule> .*the paper protocol/);
  const synth = (await help("synth")).text;
  assert.match(synth, /--out <dir> output folder \(required\)/);
  assert.match(synth, /--slides <n> number of slides \(default: 28\)/);
  const report = (await help("report")).text;
  assert.match(
    report,
    new RegExp(
      `--resamples <n> .*\\(default: ${CONFIG_DEFAULTS.evaluate.resamples}\\)`,
    ),
  );
});

Deno.test("a default shown in --help is not set, so a configuration file still applies", () => {
  const program = buildCli();
  const tile = program.commands.find((c) => c.name() === "tile")!;
  tile.parseOptions(["--slides", "somewhere"]);
  assert.equal(tile.opts().tileSize, undefined);
  assert.equal(tile.opts().qc, undefined);
  tile.parseOptions(["--no-qc"]);
  assert.equal(tile.opts().qc, false);
});

Deno.test("asmil models --options lists each model's options with defaults and ranges", async () => {
  const all = await asmil(["models", "--options"]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^abmil: /m);
  assert.match(all.stdout, /^transmil: /m);
  const one = await asmil(["models", "--options", "asmil"]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^ +option +default +range +what it sets$/m);
  assert.match(
    one.stdout,
    /^ +nToken +4 +integer ≥ 1 +learnable query tokens$/m,
  );
  assert.match(one.stdout, /^ +nDrop +2 +integer ≥ 0, < nToken /m);
  assert.match(one.stdout, /^ +dropout +0\.1 +number in \[0, 1\) /m);
  assert.doesNotMatch(one.stdout, /^abmil: /m);
  const unknown = await asmil(["models", "--options", "nope"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /Unknown model "nope": expected one of abmil/);
});
