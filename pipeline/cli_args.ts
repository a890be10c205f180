/**
 * Parsers for command-line option values (errors name the option and the
 * value seen), and how `--help` shows each option's default.
 *
 * @module
 */
import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";

/** Bounds of a numeric option. */
export interface OptionRange {
  min?: number;
  /** `min` itself is not allowed (e.g. a learning rate > 0). */
  minExclusive?: boolean;
  max?: number;
}

function rangeText(r: OptionRange): string {
  const low = r.min === undefined
    ? ""
    : r.minExclusive
    ? `> ${r.min}`
    : `≥ ${r.min}`;
  const high = r.max === undefined ? "" : `≤ ${r.max}`;
  return [low, high].filter(Boolean).join(" and ");
}

function checkRange(name: string, n: number, value: string, r: OptionRange) {
  const low = r.min === undefined ||
    (r.minExclusive ? n > r.min : n >= r.min);
  const high = r.max === undefined || n <= r.max;
  if (!low || !high) {
    throw new Error(
      `${name} must be ${rangeText(r)}: current value is "${value}"`,
    );
  }
}

/**
 * Parses an integer option, refusing values outside `range`.
 *
 * @example
 * ```ts
 * import { parseInteger } from "./cli_args.ts";
 * const epochs = parseInteger("--epochs", { min: 1 });
 * if (epochs("3") !== 3) throw new Error();
 * let refused = false;
 * try { epochs("0"); } catch { refused = true; }
 * if (!refused) throw new Error("0 epochs accepted");
 * ```
 */
export function parseInteger(name: string, range: OptionRange = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n)) {
      throw new Error(
        `${name} must be an integer: current value is "${value}"`,
      );
    }
    checkRange(name, n, value, range);
    return n;
  };
}

/** Parses a finite number option, refusing values outside `range`. */
export function parseNumber(name: string, range: OptionRange = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) {
      throw new Error(`${name} must be a number: current value is "${value}"`);
    }
    checkRange(name, n, value, range);
    return n;
  };
}

/** Parses a JSON-object option. */
export function parseJsonOption(
  name: string,
  value: string,
): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value);
    if (
      parsed === null || typeof parsed !== "object" || Array.isArray(parsed)
    ) {
      throw new Error("expected a JSON object");
    }
    return parsed;
  } catch (error) {
    throw new Error(
      `${name} must be a JSON object: ${
        (error as Error).message
      } in '${value}'`,
    );
  }
}

/** A default shown in `--help` as words rather than a value, e.g. `<store folder>/qc`. */
export class DescribedDefault {
  /** `text` is shown as is, unquoted. */
  constructor(readonly text: string) {}
}

/**
 * A default described in words (shown unquoted in `--help`).
 *
 * @example
 * ```ts
 * import { described } from "./cli_args.ts";
 * if (described("all cores").text !== "all cores") throw new Error();
 * ```
 */
export function described(text: string): DescribedDefault {
  return new DescribedDefault(text);
}

/**
 * Shows `defaults` (option attribute → value) in `command`'s `--help` as
 * `(default: …)`, without setting them: they are the configuration schema's
 * defaults, applied after the configuration file, so a flag that is absent
 * must stay undefined. Values are shown as commander shows its own defaults
 * (JSON), {@link described} ones as words. Throws naming an option the
 * command does not have.
 */
export function showDefaults(
  command: CommandUnknownOpts,
  defaults: Record<string, unknown>,
): void {
  for (const [key, value] of Object.entries(defaults)) {
    const option = command.options.find((o) =>
      o.attributeName() === key && !o.negate
    );
    if (!option) {
      throw new Error(
        `Cannot show a default for "${key}" in asmil ${command.name()}: expected one of its options, found ${
          command.options.map((o) => o.attributeName()).join(", ")
        }`,
      );
    }
    option.defaultValueDescription = value instanceof DescribedDefault
      ? value.text
      : JSON.stringify(value);
  }
}

/**
 * {@link showDefaults} for defaults that live in a module `command` loads
 * anyway when it runs (the anchor's in models/, the cohort size in data/):
 * loaded just before `command` runs or prints its help, so the other
 * commands do not pay for the import.
 */
export function showDefaultsWhenRun(
  program: CommandUnknownOpts,
  command: CommandUnknownOpts,
  load: () => Promise<Record<string, unknown>>,
): void {
  program.hook("preSubcommand", async (_program, sub) => {
    if (sub === command) showDefaults(command, await load());
  });
}

/**
 * How `--help` describes an option: its text, then in one parenthesis
 * whether it is required, its choices and its default (commander's own
 * `.default()` values and those from {@link showDefaults} alike). Flags
 * without a value are off unless given, and show no default.
 */
export function optionHelp(option: Option): string {
  const extra: string[] = [];
  if (option.mandatory) extra.push("required");
  if (option.argChoices) {
    extra.push(
      `choices: ${option.argChoices.map((c) => JSON.stringify(c)).join(", ")}`,
    );
  }
  const takesValue = option.required || option.optional;
  const shown = option.defaultValueDescription ??
    (option.defaultValue === undefined
      ? undefined
      : JSON.stringify(option.defaultValue));
  if (takesValue && shown !== undefined) extra.push(`default: ${shown}`);
  if (extra.length === 0) return option.description;
  return `${option.description} (${extra.join(", ")})`.trimStart();
}
