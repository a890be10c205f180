/**
 * Runs an async function over a stream with a bounded number of calls in
 * flight, emitting results in input order.
 *
 * @module
 */

/**
 * Maps chunks with at most `concurrency` pending calls of `fn`; results come
 * out in the order their inputs went in, and a full window applies
 * backpressure upstream. A rejection errors the stream.
 *
 * @example
 * ```ts
 * import { ConcurrentMapStream } from "./concurrent_map_stream.ts";
 * const slowFirst = (x: number) =>
 *   new Promise<number>((r) => setTimeout(() => r(x * 10), x === 1 ? 20 : 0));
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3]).pipeThrough(new ConcurrentMapStream(slowFirst, 3)),
 * );
 * if (out.join() !== "10,20,30") throw new Error("order not kept");
 * ```
 */
export class ConcurrentMapStream<I, O> extends TransformStream<I, O> {
  /** Creates the stream; `concurrency` ≥ 1. */
  constructor(
    fn: (chunk: I, index: number) => Promise<O>,
    concurrency: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(
        `Cannot construct ConcurrentMapStream as concurrency must be a positive integer: current value is ${concurrency}`,
      );
    }
    const pending: Promise<O>[] = [];
    let index = 0;
    super({
      async transform(chunk, controller) {
        const p = fn(chunk, index++);
        // Avoid an unhandled rejection while it waits its turn in the window.
        p.catch(() => {});
        pending.push(p);
        if (pending.length >= concurrency) {
          controller.enqueue(await (pending.shift() as Promise<O>));
        }
      },
      async flush(controller) {
        while (pending.length > 0) {
          controller.enqueue(await (pending.shift() as Promise<O>));
        }
      },
    });
  }
}
