/**
 * The shape of the functions that add a command to the `asmil` program.
 *
 * @module
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { GlobalOptions } from "../cli_context.ts";

/**
 * Adds a command (or a few) to `program`; `globals()` gives the global
 * options once the command runs.
 */
export type RegisterCommand = (
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
) => void;
