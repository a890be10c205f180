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

/** A registered architecture. */
export interface ModelEntry {
  name: string;
  /** One line saying what the model is. */
  description: string;
  /** Defaults for the model's own options (merged under the user's). */
  defaults: Readonly<Record<string, unknown>>;
  factory: ModelFactory;
}

const registry = new Map<string, ModelEntry>();

/**
 * Registers an architecture under `entry.name`.
 *
 * @example
 * ```ts ignore
 * registerModel({ name: "abmil", description: "…", defaults: {}, factory });
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

/** Builds model `name` with its defaults overridden by `options`. */
export function createModel(name: string, options: ModelOptions): MilModel {
  const entry = modelEntry(name);
  return entry.factory({ ...entry.defaults, ...options });
}
