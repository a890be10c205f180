/**
 * Numeric command-line options: the flag written once, and a value outside
 * its range refused with an error naming the flag (see `cli_args.ts`).
 *
 * @module
 */
import { Option } from "@commander-js/extra-typings";
import { type OptionRange, parseInteger, parseNumber } from "./cli_args.ts";

/** The long flag of `flags`: `--epochs` of `"-e, --epochs <n>"`. */
function longFlag(flags: string): string {
  return flags.split(/[ ,|]+/).find((f) => f.startsWith("--")) ?? flags;
}

/** Option builders whose values `parse` reads and checks. */
function numericOption(parse: typeof parseInteger) {
  return <Usage extends string>(
    flags: Usage,
    description: string,
    range: OptionRange = {},
  ) => new Option(flags, description).argParser(parse(longFlag(flags), range));
}

/**
 * An option whose value is an integer in `range`.
 *
 * @example
 * ```ts
 * import { integerOption } from "./numeric_option.ts";
 * const epochs = integerOption("--epochs <n>", "epochs", { min: 1 });
 * if (epochs.parseArg?.("3", undefined) !== 3) throw new Error();
 * ```
 */
export const integerOption = numericOption(parseInteger);

/**
 * An option whose value is a finite number in `range`.
 *
 * @example
 * ```ts
 * import { numberOption } from "./numeric_option.ts";
 * const lr = numberOption("--lr <x>", "learning rate", { min: 0, minExclusive: true });
 * let refused = "";
 * try { lr.parseArg?.("0", undefined); } catch (e) { refused = String(e); }
 * if (!refused.includes("--lr")) throw new Error(refused);
 * ```
 */
export const numberOption = numericOption(parseNumber);
