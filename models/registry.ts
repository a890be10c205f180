/**
 * The model registry: every MIL architecture registers a factory under a
 * name, so the CLI, the trainer and the conformance suite can enumerate and
 * build them.
 *
 * @module
 */
import type { MilModel, ModelOptions } from "./mil_model.ts";

/** Builds a model from resolved options. */
export type ModelFactory = (options: ModelOptions) => MilModel;

/**
 * How one of a model's own options is described to users (`asmil models
 * --options`). The model's constructor enforces the range; the registry
 * test checks that this description and the constructor agree.
 */
export interface ModelOptionSpec {
  /** What the option controls, in a few words. */
  about: string;
  type: "integer" | "number" | "boolean";
  /** Smallest valid value. */
  min?: number;
  /** Largest valid value (excluded when `maxExclusive`). */
  max?: number;
  maxExclusive?: boolean;
  /** A bound that depends on other options, in words (`"< nToken"`). */
  also?: string;
  /** The default in words, for one derived from other options rather than listed in `defaults`. */
  derivedDefault?: string;
}

/** A registered architecture. */
export interface ModelEntry {
  name: string;
  /** One line saying what the model is. */
  description: string;
  /** Defaults for the model's own options (merged under the user's). */
  defaults: Readonly<Record<string, unknown>>;
  /** The options a user may set (`--model-options`), with their ranges; `seed`, `inputDim` and `numClasses` come from the run. */
  options: Readonly<Record<string, ModelOptionSpec>>;
  factory: ModelFactory;
}

const registry = new Map<string, ModelEntry>();

/**
 * Registers an architecture under `entry.name`.
 *
 * @example
 * ```ts ignore
 * registerModel({ name: "abmil", description: "…", defaults: {}, options: {}, factory });
 * ```
 */
export function registerModel(entry: ModelEntry): void {
  if (registry.has(entry.name)) {
    throw new Error(
      `Cannot register model "${entry.name}": a model with that name is already registered`,
    );
  }
  registry.set(entry.name, entry);
}

/** Names of all registered models, sorted. */
export function listModels(): string[] {
  return [...registry.keys()].sort();
}

/** The registry entry for `name`; throws naming the known models if absent. */
export function modelEntry(name: string): ModelEntry {
  const entry = registry.get(name);
  if (!entry) {
    throw new Error(
      `Unknown model "${name}": expected one of ${
        listModels().join(", ") || "(none registered)"
      }`,
    );
  }
  return entry;
}

/**
 * Refuses options a user gave for model `name` that the model does not
 * have (a typo, or another model's option, would otherwise be ignored),
 * naming the ones it has.
 *
 * @example
 * ```ts ignore
 * checkUserOptions("abmil", { nToken: 4 }); // throws: abmil has no option "nToken"
 * ```
 */
export function checkUserOptions(
  name: string,
  options: Readonly<Record<string, unknown>>,
): void {
  const entry = modelEntry(name);
  const unknown = Object.keys(options).filter((k) => !(k in entry.options));
  if (unknown.length > 0) {
    throw new Error(
      `Model "${name}" has no option${unknown.length > 1 ? "s" : ""} ${
        unknown.map((k) => `"${k}"`).join(", ")
      }: its options are ${
        Object.keys(entry.options).sort().join(", ") || "none"
      } (asmil models --options ${name})`,
    );
  }
}

/** Builds model `name` with its defaults overridden by `options`. */
export function createModel(name: string, options: ModelOptions): MilModel {
  const entry = modelEntry(name);
  return entry.factory({ ...entry.defaults, ...options });
}

/**
 * The valid values of an option in words.
 *
 * @example
 * ```ts
 * import { optionRange } from "./registry.ts";
 * const r = optionRange({ about: "", type: "number", min: 0, max: 1, maxExclusive: true });
 * if (r !== "number in [0, 1)") throw new Error(r);
 * ```
 */
export function optionRange(spec: ModelOptionSpec): string {
  const { type, min, max } = spec;
  let range: string = type;
  if (min !== undefined && max !== undefined) {
    range += ` in [${min}, ${max}${spec.maxExclusive ? ")" : "]"}`;
  } else if (min !== undefined) range += ` ≥ ${min}`;
  else if (max !== undefined) {
    range += ` ${spec.maxExclusive ? "<" : "≤"} ${max}`;
  }
  return spec.also ? `${range}, ${spec.also}` : range;
}

/** The default of option `key` of `entry`, as shown to users. */
export function optionDefault(entry: ModelEntry, key: string): string {
  if (key in entry.defaults) return JSON.stringify(entry.defaults[key]);
  return entry.options[key]?.derivedDefault ?? "none";
}
