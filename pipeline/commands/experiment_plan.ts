/**
 * The configurations of `asmil experiment` and their run ids. Every
 * baseline runs without and with the anchor plug-in (the intended EMA
 * anchor); ASMIL runs with the intended EMA anchor (init copy, update ema),
 * with the anchor as the released code has it (init independent, update
 * frozen) and without an anchor. A run id is
 * `exp.<experiment>.<model>.<anchor>.s<seed>.f<fold>`, so SQL can split it
 * back into its parts (`split_part(id, '.', 3)` is the model).
 *
 * @module
 */
import type { AnchorOptions } from "../../models/anchor.ts";

/** Anchor variants: none, the intended EMA anchor, the released-code anchor. */
export type AnchorVariant = "none" | "ema" | "released";

/** One row of the results table: a model with one anchor variant. */
export interface ExperimentConfiguration {
  model: string;
  anchor: AnchorVariant;
}

/** Anchor variants run for ASMIL; baselines run `none` and `ema`. */
export const ASMIL_VARIANTS: readonly AnchorVariant[] = [
  "ema",
  "released",
  "none",
];

/**
 * The configurations for `models`, in the order given.
 *
 * @example
 * ```ts
 * import { experimentConfigurations } from "./experiment_plan.ts";
 * const c = experimentConfigurations(["abmil", "asmil"]);
 * if (c.length !== 5 || c[2]!.anchor !== "ema") throw new Error();
 * ```
 */
export function experimentConfigurations(
  models: readonly string[],
): ExperimentConfiguration[] {
  if (models.length === 0) {
    throw new RangeError("An experiment needs at least one model: got none");
  }
  return models.flatMap((model) =>
    (model === "asmil" ? ASMIL_VARIANTS : ["none", "ema"] as const).map((
      anchor,
    ) => ({ model, anchor }))
  );
}

/** The `anchor` build option of a variant (see `buildModel`). */
export function anchorOption(
  variant: AnchorVariant,
): false | Partial<AnchorOptions> {
  if (variant === "none") return false;
  return variant === "ema"
    ? { init: "copy", update: "ema" }
    : { init: "independent", update: "frozen" };
}

/** The run id of one configuration, seed and fold of experiment `name`. */
export function experimentRunId(
  name: string,
  c: ExperimentConfiguration,
  seed: number,
  fold: number,
): string {
  if (!/^[\w-]+$/.test(name)) {
    throw new RangeError(
      `An experiment name may hold letters, digits, "_" and "-" only: current value is "${name}"`,
    );
  }
  return `exp.${name}.${c.model}.${c.anchor}.s${seed}.f${fold}`;
}

/** A short stable hash (FNV-1a, 8 hex digits) of a JSON-able value. */
export function shortHash(value: unknown): string {
  const text = JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => a < b ? -1 : 1),
        )
        : v,
  );
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
