/**
 * Building models with or without the anchor, for the trainer and the CLI.
 *
 * CLI composition: `--model <name>` builds `buildModel(name, options)`, which
 * wraps the model with the anchor when the model is anchored by default
 * (`asmil`: full ASMIL) and not otherwise; `--anchor` forces the anchor on
 * any model (`abmil --anchor` = ABMIL + anchor plug-in), `--no-anchor`
 * turns it off (`asmil --no-anchor` = the token model alone); anchor flags
 * (`--anchor-init copy|independent`, `--anchor-update ema|frozen`,
 * `--anchor-momentum`, `--anchor-tau`, `--anchor-weight`, the variants'
 * flags and `--anchor-preset`) fill `options.anchor` as an object
 * ({@link AnchorSpec}: a preset plus options over it).
 *
 * @module
 */
import type { MilModel, ModelOptions } from "./mil_model.ts";
import { createModel } from "./registry.ts";
import { AnchoredModel } from "./anchor.ts";
import {
  type AnchorOptions,
  type AnchorSpec,
  checkAnchorOptions,
  resolveAnchorOptions,
} from "./anchor_options.ts";

/** Models built with the anchor unless told otherwise. */
export const ANCHORED_BY_DEFAULT: ReadonlySet<string> = new Set(["asmil"]);

/** Model options plus the anchor switch `buildModel()` understands. */
export type BuildOptions = ModelOptions & {
  /** `true`/object: anchor on (object: a preset and options over the defaults); `false`: off; absent: the model's default. */
  anchor?: boolean | AnchorSpec;
};

/**
 * Model `name` wrapped by an anchor of the same architecture, with the
 * anchor options of `anchor` (its preset, default `faithful`, then its
 * options, over the defaults).
 *
 * @example
 * ```ts
 * import "./asmil.ts";
 * import { createAnchored } from "./anchor_factory.ts";
 * const model = createAnchored("asmil", { inputDim: 16, numClasses: 2 }, { update: "ema" });
 * if (model.options.anchor.momentum !== 0.999) throw new Error("default m");
 * model.dispose();
 * ```
 */
export function createAnchored(
  name: string,
  options: ModelOptions,
  anchor: AnchorSpec = {},
): AnchoredModel {
  const resolved: AnchorOptions = resolveAnchorOptions(anchor);
  checkAnchorOptions(resolved);
  const online = createModel(name, options);
  const onlineSeed = typeof online.options.seed === "number"
    ? online.options.seed
    : 0;
  if (resolved.init === "independent") {
    resolved.seed = resolved.seed ?? onlineSeed + 1;
  } else delete resolved.seed;
  const twin = createModel(name, {
    ...online.options,
    seed: resolved.seed ?? onlineSeed,
  });
  try {
    return new AnchoredModel(online, twin, resolved);
  } catch (error) {
    online.dispose();
    twin.dispose();
    throw error;
  }
}

/**
 * Model `name` with the anchor decided by `options.anchor` (see the module
 * doc); `buildModel(model.name, buildOptionsOf(model))` rebuilds any model
 * this returns.
 *
 * @example
 * ```ts
 * import "./asmil.ts";
 * import { buildModel } from "./anchor_factory.ts";
 * import { AnchoredModel } from "./anchor.ts";
 * const asmil = buildModel("asmil", { inputDim: 16, numClasses: 2 });
 * const bare = buildModel("asmil", { inputDim: 16, numClasses: 2, anchor: false });
 * if (!(asmil instanceof AnchoredModel) || bare instanceof AnchoredModel) throw new Error();
 * asmil.dispose();
 * bare.dispose();
 * ```
 */
export function buildModel(name: string, options: BuildOptions): MilModel {
  const { anchor, ...rest } = options;
  const wanted = anchor === undefined
    ? ANCHORED_BY_DEFAULT.has(name)
    : anchor !== false;
  if (!wanted) return createModel(name, rest);
  return createAnchored(name, rest, typeof anchor === "object" ? anchor : {});
}

/**
 * The options that make `buildModel(model.name, …)` rebuild `model`: its
 * resolved options with `anchor` set to its anchor options, or `false`
 * when it has no anchor (store this in the run's config).
 *
 * @example
 * ```ts
 * import "./asmil.ts";
 * import { buildModel, buildOptionsOf } from "./anchor_factory.ts";
 * const bare = buildModel("asmil", { inputDim: 16, numClasses: 2, anchor: false });
 * if (buildOptionsOf(bare).anchor !== false) throw new Error("remembers: no anchor");
 * bare.dispose();
 * ```
 */
export function buildOptionsOf(model: MilModel): BuildOptions {
  if (model instanceof AnchoredModel) {
    return { ...model.online.options, anchor: { ...model.options.anchor } };
  }
  return { ...model.options, anchor: false };
}
