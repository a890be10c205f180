/**
 * Saving and restoring a model's trainable variables by name.
 *
 * File format: the 8 bytes `ASMILWT1`, a little-endian uint32 header length,
 * a UTF-8 JSON header `{ model?, options?, tensors: [{ name, shape, offset }] }`,
 * zero padding to a multiple of 4 bytes, then the float32 values
 * (little-endian) of every tensor at its byte `offset` from that point.
 * Names are local to the model (see `localName`), so a file written by one
 * instance loads into another.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MilModel } from "./mil_model.ts";
import { localName } from "./weights_scope.ts";

const MAGIC = "ASMILWT1";

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
  let offset = 0;
  for (const [name, v] of named) {
    header.tensors.push({ name, shape: [...v.shape], offset });
    offset += v.size * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const bytes = new Uint8Array(start + offset);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, json.length, true);
  bytes.set(json, 12);
  const data = new Float32Array(bytes.buffer, start);
  for (const [i, v] of [...named.values()].entries()) {
    const entry = header.tensors[i] as WeightFileHeader["tensors"][number];
    data.set(v.dataSync() as Float32Array, entry.offset / 4);
  }
  return bytes;
}

/** Parses bytes written by {@link encodeWeights}; throws on a bad file. */
export function decodeWeights(
  bytes: Uint8Array,
  what = "weights",
): DecodedWeights {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < 12 || magic !== MAGIC) {
    throw new Error(
      `${what} is not an asmil weight file: expected it to start with "${MAGIC}", got ${
        JSON.stringify(magic)
      }`,
    );
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(
    8,
    true,
  );
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(12, 12 + length)),
  ) as WeightFileHeader;
  const start = Math.ceil((12 + length) / 4) * 4;
  const data = bytes.slice(start);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const { name, shape, offset } of header.tensors) {
    const size = shape.reduce((p, d) => p * d, 1);
    if (offset + size * 4 > data.length) {
      throw new Error(
        `${what} is truncated: tensor "${name}" [${shape}] needs bytes up to ${
          offset + size * 4
        }, the data has ${data.length}`,
      );
    }
    tensors.set(name, {
      shape,
      values: new Float32Array(data.buffer, offset, size),
    });
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
