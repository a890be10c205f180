/**
 * Training checkpoints: everything needed to continue a run after its last
 * completed epoch and end with the same numbers as an uninterrupted run —
 * model state (including e.g. an anchor's EMA copy), optimiser moments, the
 * random generator's state and the best-epoch bookkeeping.
 *
 * File: core/tensor_file.ts with the magic `ASMILCK2`; the JSON header
 * holds the metadata and where each variable's and moment's float32 array
 * lies. Written via a temporary file and rename.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AdamWState } from "./adamw.ts";
import { decodeTensorFile, TensorFileWriter } from "../../core/tensor_file.ts";

const CHECKPOINT_FILE = { magic: "ASMILCK2", kind: "an asmil checkpoint" };

/** What a checkpoint holds besides tensors. */
export interface CheckpointMeta {
  run: string;
  /** Last completed epoch. */
  epoch: number;
  rngState: number;
  best: { epoch: number; score: number };
  /**
   * The run store the run is recorded in (its id and path), so a checkpoint
   * is not resumed into another store; absent in checkpoints written
   * without a store or before stores had ids.
   */
  store?: { id: string; path: string };
}

/** A checkpoint in memory. */
export interface Checkpoint extends CheckpointMeta {
  /** Values of the model's state variables, in order. */
  variables: { name: string; shape: number[]; values: Float32Array }[];
  /** One state per optimisation group. */
  optimizers: AdamWState[];
}

interface Header extends CheckpointMeta {
  optimizerSteps: number[];
  /** Per group and variable: updates with a gradient (absent in older files). */
  optimizerVariableSteps?: number[][];
  arrays: {
    group?: number;
    kind: "var" | "m" | "v";
    name: string;
    shape: number[];
    offset: number;
    length: number;
  }[];
}

/** Captures the state of `variables` and the optimiser. */
export function captureCheckpoint(
  meta: CheckpointMeta,
  variables: tf.Variable[],
  optimizers: AdamWState[],
): Checkpoint {
  return {
    ...meta,
    variables: variables.map((v) => ({
      name: v.name,
      shape: [...v.shape],
      values: v.dataSync() as Float32Array,
    })),
    optimizers,
  };
}

/** Writes a checkpoint atomically (temporary file, then rename). */
export async function writeCheckpoint(
  path: string,
  c: Checkpoint,
): Promise<void> {
  await Deno.writeFile(`${path}.tmp`, encodeCheckpoint(c));
  await Deno.rename(`${path}.tmp`, path);
}

/** The bytes of a checkpoint file. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays: Header["arrays"] = [];
  const file = new TensorFileWriter();
  const add = (
    kind: "var" | "m" | "v",
    name: string,
    shape: number[],
    values: Float32Array,
    group?: number,
  ) => {
    arrays.push({
      kind,
      name,
      shape,
      offset: file.add(values),
      length: values.length,
      ...(group === undefined ? {} : { group }),
    });
  };
  for (const v of c.variables) add("var", v.name, v.shape, v.values);
  c.optimizers.forEach((o, group) => {
    for (const m of o.moments) {
      add("m", m.name, [m.m.length], m.m, group);
      add("v", m.name, [m.v.length], m.v, group);
    }
  });
  const header: Header = {
    run: c.run,
    epoch: c.epoch,
    rngState: c.rngState,
    best: c.best,
    ...(c.store ? { store: c.store } : {}),
    optimizerSteps: c.optimizers.map((o) => o.step),
    optimizerVariableSteps: c.optimizers.map((o) =>
      o.moments.map((m) => m.step ?? o.step)
    ),
    arrays,
  };
  return file.encode(CHECKPOINT_FILE, header);
}

/** Reads a checkpoint; undefined when the file does not exist. */
export async function readCheckpoint(
  path: string,
): Promise<Checkpoint | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const file = decodeTensorFile<Header>(
    bytes,
    CHECKPOINT_FILE,
    `Checkpoint ${path}`,
  );
  const header = file.header;
  const view = (a: Header["arrays"][number]) =>
    file.array(a.offset, a.length, `${a.kind} "${a.name}"`);
  const vars = header.arrays.filter((a) => a.kind === "var");
  const moments = (group: number, kind: "m" | "v") =>
    header.arrays.filter((a) => a.kind === kind && (a.group ?? 0) === group);
  return {
    run: header.run,
    epoch: header.epoch,
    rngState: header.rngState,
    best: header.best,
    ...(header.store ? { store: header.store } : {}),
    variables: vars.map((a) => ({
      name: a.name,
      shape: a.shape,
      values: view(a),
    })),
    optimizers: header.optimizerSteps.map((step, group) => {
      const vs = moments(group, "v");
      return {
        step,
        moments: moments(group, "m").map((m, i) => {
          const variableStep = header.optimizerVariableSteps?.[group]?.[i];
          return {
            name: m.name,
            m: view(m),
            v: view(vs[i] as Header["arrays"][number]),
            ...(variableStep === undefined ? {} : { step: variableStep }),
          };
        }),
      };
    }),
  };
}

/** Assigns checkpointed values to `variables` (same order and shapes). */
export function restoreVariables(
  c: Checkpoint,
  variables: tf.Variable[],
): void {
  if (c.variables.length !== variables.length) {
    throw new Error(
      `Checkpoint of run "${c.run}" holds ${c.variables.length} variables, the model has ${variables.length}: was the model or its options changed?`,
    );
  }
  c.variables.forEach((saved, i) => {
    const v = variables[i] as tf.Variable;
    if (saved.shape.join() !== v.shape.join()) {
      throw new Error(
        `Checkpoint variable ${i} ("${saved.name}") has shape [${saved.shape}], the model's "${v.name}" has [${v.shape}]`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(saved.values, saved.shape, "float32")));
  });
}
