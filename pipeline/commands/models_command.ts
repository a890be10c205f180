/**
 * Registers `asmil models`: the registered MIL models, and with
 * `--options` each one's options with defaults and valid ranges.
 *
 * @module
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import {
  type ModelEntry,
  optionDefault,
  optionRange,
} from "../../models/registry.ts";

/** Adds `models` to `program`. */
export function registerModels(program: CommandUnknownOpts): void {
  program
    .command("models")
    .description(
      "list the registered MIL models; --options: their options, defaults and ranges",
    )
    .option(
      "--options [name]",
      "list every model's options (only model <name>'s when given) for --model-options",
    )
    .action(async (o) => {
      const { listModels, modelEntry } = await import("../../models/all.ts");
      if (o.options === undefined) {
        for (const name of listModels()) {
          console.log(`${name.padEnd(14)} ${modelEntry(name).description}`);
        }
        return;
      }
      const names = typeof o.options === "string" ? [o.options] : listModels();
      console.log(
        names.map((name) => modelOptionsTable(modelEntry(name))).join("\n\n"),
      );
      console.log(
        `\nSet them with \`asmil train --model-options '{"nToken": 8}'\` or "train": {"modelOptions": …} in --config; the anchor's are \`asmil train --anchor-*\`.`,
      );
    });
}

/**
 * One model's options as an aligned table: option, default, valid range,
 * what it does.
 */
export function modelOptionsTable(entry: ModelEntry): string {
  const rows = Object.entries(entry.options).map(([key, spec]) => [
    key,
    optionDefault(entry, key),
    optionRange(spec),
    spec.about,
  ]);
  const header = ["option", "default", "range", "what it sets"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i]!.length))
  );
  const line = (cells: string[]) =>
    `  ${
      cells.map((c, i) => i < cells.length - 1 ? c.padEnd(widths[i]!) : c)
        .join("  ")
    }`;
  return [
    `${entry.name}: ${entry.description}`,
    line(header),
    ...rows.map(line),
  ].join("\n");
}
