/**
 * Groups a stream's chunks into arrays of a fixed size.
 *
 * @module
 */

/** Options for {@link BatchStream}. */
export interface BatchStreamOptions {
  /** Flush a partial batch when `key(chunk)` changes (e.g. a new slide). */
  // deno-lint-ignore no-explicit-any
  key?: (chunk: any) => unknown;
}

/**
 * Emits arrays of `size` chunks; the last one may be shorter.
 *
 * @example
 * ```ts
 * import { BatchStream } from "./batch_stream.ts";
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3]).pipeThrough(new BatchStream<number>(2)),
 * );
 * if (JSON.stringify(out) !== "[[1,2],[3]]") throw new Error("bad batches");
 * ```
 */
export class BatchStream<T> extends TransformStream<T, T[]> {
  /** Creates a batcher of `size` chunks per batch. */
  constructor(size: number, options: BatchStreamOptions = {}) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot construct BatchStream as size must be a positive integer: current value is ${size}`,
      );
    }
    let batch: T[] = [];
    let lastKey: unknown = undefined;
    const key = options.key;
    super({
      transform(chunk, controller) {
        if (key) {
          const k = key(chunk);
          if (batch.length > 0 && k !== lastKey) {
            controller.enqueue(batch);
            batch = [];
          }
          lastKey = k;
        }
        batch.push(chunk);
        if (batch.length >= size) {
          controller.enqueue(batch);
          batch = [];
        }
      },
      flush(controller) {
        if (batch.length > 0) controller.enqueue(batch);
      },
    });
  }
}
