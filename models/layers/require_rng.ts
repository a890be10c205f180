/**
 * The seeded generator a training-mode forward pass must be given.
 *
 * @module
 */
import type { Rng } from "../../core/random.ts";
import type { ForwardOptions } from "../mil_model.ts";

/**
 * Returns `options.rng`, or throws saying which sampling step needed it.
 *
 * @example
 * ```ts
 * import { requireRng } from "./require_rng.ts";
 * import { Rng } from "../../core/random.ts";
 * const rng = requireRng({ training: true, rng: new Rng(3) }, "token dropping");
 * ```
 */
export function requireRng(options: ForwardOptions, what: string): Rng {
  if (!options.rng) {
    throw new Error(
      `${what} needs options.rng (a seeded Rng) in training mode: got none`,
    );
  }
  return options.rng;
}
