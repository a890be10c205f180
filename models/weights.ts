/**
 * Saving and restoring a model's trainable variables by name.
 *
 * File format: core/tensor_file.ts with the magic `ASMILWT1` and the JSON
 * header `{ model?, options?, tensors: [{ name, shape, offset }] }`, each
 * tensor's float32 values at its byte `offset` in the data section.
 * Names are local to the model (see `localName`), so a file written by one
 * instance loads into another.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MilModel } from "./mil_model.ts";
import { localName } from "./weights_scope.ts";
import { decodeTensorFile, TensorFileWriter } from "../core/tensor_file.ts";

const WEIGHT_FILE = { magic: "ASMILWT1", kind: "an asmil weight file" };

/** What a weight file says about itself and its tensors. */
export interface WeightFileHeader {
  model?: string;
  options?: unknown;
  tensors: { name: string; shape: number[]; offset: number }[];
}

/** A decoded weight file. */
export interface DecodedWeights {
  header: WeightFileHeader;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

type Source = MilModel | tf.Variable[];

function variablesOf(source: Source): tf.Variable[] {
  return Array.isArray(source) ? source : source.trainableVariables();
}

function byName(variables: tf.Variable[]): Map<string, tf.Variable> {
  const named = new Map<string, tf.Variable>();
  for (const v of variables) {
    const name = localName(v);
    if (named.has(name)) {
      throw new Error(`Cannot save weights: two variables are named "${name}"`);
    }
    named.set(name, v);
  }
  return named;
}

/**
 * Serialises the variables of `source` (a model or a list).
 *
 * @example
 * ```ts
 * import { assignWeights, decodeWeights, encodeWeights } from "./weights.ts";
 * import { ParamScope } from "./weights_scope.ts";
 * const a = new ParamScope("demo", 1), b = new ParamScope("demo", 2);
 * a.linear("fc", 4, 2);
 * b.linear("fc", 4, 2);
 * assignWeights(b.variables(), decodeWeights(encodeWeights(a.variables())));
 * ```
 */
export function encodeWeights(source: Source): Uint8Array {
  const named = byName(variablesOf(source));
  const header: WeightFileHeader = { tensors: [] };
  if (!Array.isArray(source)) {
    header.model = source.name;
    header.options = source.options;
  }
  const file = new TensorFileWriter();
  for (const [name, v] of named) {
    const offset = file.add(v.dataSync() as Float32Array);
    header.tensors.push({ name, shape: [...v.shape], offset });
  }
  return file.encode(WEIGHT_FILE, header);
}

/** Parses bytes written by {@link encodeWeights}; throws on a bad file. */
export function decodeWeights(
  bytes: Uint8Array,
  what = "weights",
): DecodedWeights {
  const file = decodeTensorFile<WeightFileHeader>(bytes, WEIGHT_FILE, what);
  const header = file.header;
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const { name, shape, offset } of header.tensors) {
    const size = shape.reduce((p, d) => p * d, 1);
    const values = file.array(offset, size, `tensor "${name}" [${shape}]`);
    tensors.set(name, { shape, values });
  }
  return { header, tensors };
}

/**
 * Assigns decoded tensors to the variables of `target` by name; throws
 * listing missing and unexpected names, or the first shape mismatch, and
 * then assigns nothing.
 */
export function assignWeights(target: Source, decoded: DecodedWeights): void {
  const named = byName(variablesOf(target));
  const missing = [...named.keys()].filter((n) => !decoded.tensors.has(n));
  const extra = [...decoded.tensors.keys()].filter((n) => !named.has(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `Weights do not match the model's variables: missing from the file [${
        missing.join(", ")
      }], not in the model [${extra.join(", ")}]`,
    );
  }
  for (const [name, v] of named) {
    const shape = decoded.tensors.get(name)?.shape ?? [];
    if (shape.join() !== v.shape.join()) {
      throw new Error(
        `Weight "${name}" has shape [${shape}] in the file, the model expects [${v.shape}]`,
      );
    }
  }
  for (const [name, v] of named) {
    const t = decoded.tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.values, t.shape, "float32")));
  }
}

/**
 * Writes the trainable variables of `source` to `path` (via a temporary
 * file, so a crash never leaves half a file).
 *
 * @example
 * ```ts ignore
 * await saveWeights("runs/r1/model.weights", model);
 * await loadWeights("runs/r1/model.weights", freshModel);
 * ```
 */
export async function saveWeights(path: string, source: Source): Promise<void> {
  const temporary = `${path}.tmp`;
  await Deno.writeFile(temporary, encodeWeights(source));
  await Deno.rename(temporary, path);
}

/**
 * Restores the variables of `target` from a file written by
 * {@link saveWeights}; returns the file's header.
 */
export async function loadWeights(
  path: string,
  target: Source,
): Promise<WeightFileHeader> {
  const decoded = decodeWeights(await Deno.readFile(path), `"${path}"`);
  assignWeights(target, decoded);
  return decoded.header;
}
