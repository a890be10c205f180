/**
 * Turns the wasm backend's out-of-memory failures into an error that says
 * what happened. tfjs-wasm's heap is capped at 4 GiB; when a bag's
 * activations do not fit, the failure surfaces as a bare
 * `RuntimeError: memory access out of bounds` or `RuntimeError: Aborted()`
 * (seen for TransMIL at N 24,000, D 1024), or an allocation error, deep
 * inside a kernel, naming neither the model nor the bag.
 *
 * @module
 */
import type { Bag } from "../../core/types.ts";

/** What was running when a step or forward pass failed. */
export interface FailureContext {
  run: string;
  model: string;
  /** "training step" or "evaluation". */
  phase: string;
}

/** The bag it ran on. */
export type FailedBag = Pick<Bag, "slideId" | "n" | "dim">;

const OUT_OF_MEMORY =
  /memory access out of bounds|out of memory|maximum memory size|cannot enlarge memory|array buffer allocation failed|could not allocate/i;

/**
 * `error` unchanged unless it looks like the wasm heap running out; then an
 * Error naming the run, model, bag and size, with the original as `cause`.
 *
 * @example
 * ```ts
 * import { explainOutOfMemory } from "./out_of_memory.ts";
 * const e = explainOutOfMemory(
 *   new WebAssembly.RuntimeError("memory access out of bounds"),
 *   { run: "r", model: "transmil", phase: "training step" },
 *   { slideId: "s1", n: 20000, dim: 1024 },
 * ) as Error;
 * if (!e.message.includes('slide "s1"')) throw new Error(e.message);
 * ```
 */
export function explainOutOfMemory(
  error: unknown,
  c: FailureContext,
  bag: FailedBag,
): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const wasm = error instanceof WebAssembly.RuntimeError;
  if (!wasm && !OUT_OF_MEMORY.test(message)) return error;
  return new Error(
    `Run "${c.run}": ${c.model} ran out of memory in the ${c.phase} of slide "${bag.slideId}" ` +
      `(${bag.n} instances × ${bag.dim}): ${
        message.replace(/\.+$/, "")
      }. The wasm backend's heap holds at most 4 GiB; ` +
      `bags this large need a lighter model configuration (for TransMIL: a smaller innerDim or ` +
      `landmarks), fewer instances per bag (a larger tile size or coarser level), or the ` +
      `tensorflow backend. The process's tensors may be corrupt now: start it again.`,
    { cause: error },
  );
}
