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
import type { AnchorSpec } from "../../models/anchor_options.ts";
import { ANCHOR_PRESETS } from "../../models/anchor_options.ts";

/**
 * An anchor variant's name: `none`, `ema` (the intended EMA anchor),
 * `released` (the released code's anchor), a preset's name (e.g.
 * `stable`), or a name the experiment defines (`--anchor-variants`).
 */
export type AnchorVariant = string;

/** One row of the results table: a model with one anchor variant. */
export interface ExperimentConfiguration {
  model: string;
  anchor: AnchorVariant;
}

/** Anchor variants run for ASMIL by default; baselines run `none` and `ema`. */
export const ASMIL_VARIANTS: readonly AnchorVariant[] = [
  "ema",
  "released",
  "none",
];

/** Named anchor variants an experiment defines: name → anchor options. */
export type AnchorVariants = Readonly<Record<string, AnchorSpec>>;

/**
 * The built-in variants (besides `none`): the intended EMA anchor, the
 * released code's, and every preset (an EMA anchor copied from the online
 * model, with the preset's variants).
 */
export function builtInVariants(): AnchorVariants {
  return {
    ema: { init: "copy", update: "ema" },
    released: { init: "independent", update: "frozen" },
    ...Object.fromEntries(
      Object.keys(ANCHOR_PRESETS).filter((p) => p !== "faithful").map((
        preset,
      ) => [preset, { init: "copy", update: "ema", preset } as AnchorSpec]),
    ),
  };
}

/**
 * The configurations for `models`, in the order given: by default every
 * baseline without and with the intended anchor and ASMIL with the
 * intended anchor, the released one and none; with `anchors`, every model
 * with each of those variants (in that order).
 *
 * @example
 * ```ts
 * import { experimentConfigurations } from "./experiment_plan.ts";
 * const c = experimentConfigurations(["abmil", "asmil"]);
 * if (c.length !== 5 || c[2]!.anchor !== "ema") throw new Error();
 * const a = experimentConfigurations(["abmil"], ["none", "stable"]);
 * if (a.length !== 2 || a[1]!.anchor !== "stable") throw new Error();
 * ```
 */
export function experimentConfigurations(
  models: readonly string[],
  anchors?: readonly AnchorVariant[],
): ExperimentConfiguration[] {
  if (models.length === 0) {
    throw new RangeError("An experiment needs at least one model: got none");
  }
  if (anchors !== undefined && anchors.length === 0) {
    throw new RangeError(
      "An experiment needs at least one anchor variant: got none",
    );
  }
  return models.flatMap((model) =>
    (anchors ??
      (model === "asmil" ? ASMIL_VARIANTS : ["none", "ema"] as const)).map((
        anchor,
      ) => ({ model, anchor }))
  );
}

/**
 * The `anchor` build option of a variant (see `buildModel`): false for
 * `none`, else the variant's options from `defined` (the experiment's own
 * variants) or the built-in ones. A defined variant starts from the
 * intended EMA anchor (init copy, update ema) unless it says otherwise.
 *
 * @example
 * ```ts
 * import { anchorOption } from "./experiment_plan.ts";
 * const o = anchorOption("teacher", { teacher: { target: "softmax" } });
 * if (o === false || o.target !== "softmax" || o.init !== "copy") throw new Error();
 * ```
 */
export function anchorOption(
  variant: AnchorVariant,
  defined: AnchorVariants = {},
): false | AnchorSpec {
  if (variant === "none") return false;
  const own = defined[variant];
  if (own !== undefined) return { init: "copy", update: "ema", ...own };
  const builtIn = builtInVariants()[variant];
  if (builtIn !== undefined) return builtIn;
  throw new RangeError(
    `Unknown anchor variant "${variant}": expected none, ${
      [...Object.keys(builtInVariants()), ...Object.keys(defined)].join(", ")
    }`,
  );
}

/**
 * Checks an experiment's anchor variants: names usable in a run id, no
 * redefinition of `none`, every listed variant known.
 */
export function checkAnchorVariants(
  anchors: readonly AnchorVariant[] | undefined,
  defined: AnchorVariants = {},
): void {
  for (const name of Object.keys(defined)) {
    if (!/^[\w-]+$/.test(name) || name === "none") {
      throw new RangeError(
        `An anchor variant's name may hold letters, digits, "_" and "-" only and may not be "none": current value is "${name}"`,
      );
    }
  }
  for (const a of anchors ?? []) anchorOption(a, defined);
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
