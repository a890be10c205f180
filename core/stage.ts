/**
 * The stage abstraction: a named factory that builds a
 * `TransformStream<I, O>` from one options object, plus composition.
 *
 * @module
 */

/**
 * A pipeline stage.
 *
 * @example
 * ```ts
 * import { defineStage } from "./stage.ts";
 * const double = defineStage("double", (o: { factor: number }) =>
 *   new TransformStream<number, number>({
 *     transform(x, c) { c.enqueue(x * o.factor); },
 *   }));
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2]).pipeThrough(double.create({ factor: 2 })),
 * );
 * if (out.join() !== "2,4") throw new Error("stage did not run");
 * ```
 */
export interface Stage<I, O, Options> {
  /** Name used in progress lines, the store (`failures.stage`) and errors. */
  readonly name: string;
  /** Builds a fresh stream for one run. */
  create(options: Options): TransformStream<I, O>;
}

/** Declares a stage from its name and stream factory. */
export function defineStage<I, O, Options>(
  name: string,
  create: (options: Options) => TransformStream<I, O>,
): Stage<I, O, Options> {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw new RangeError(
      `Cannot define a stage as its name must be lower-case letters, digits, "-" or "_": current value is "${name}"`,
    );
  }
  return { name, create };
}

/** A readable/writable pair: what `pipeThrough` accepts. */
export interface StreamPair<I, O> {
  writable: WritableStream<I>;
  readable: ReadableStream<O>;
}

/**
 * Joins two transforms into one; backpressure flows through both.
 *
 * @example
 * ```ts
 * import { compose } from "./stage.ts";
 * const inc = () => new TransformStream<number, number>({ transform: (x, c) => c.enqueue(x + 1) });
 * const out = await Array.fromAsync(ReadableStream.from([1]).pipeThrough(compose(inc(), inc())));
 * if (out[0] !== 3) throw new Error("not composed");
 * ```
 */
export function compose<A, B, C>(
  first: StreamPair<A, B>,
  second: StreamPair<B, C>,
): StreamPair<A, C> {
  return {
    writable: first.writable,
    readable: first.readable.pipeThrough(second),
  };
}

/** Feeds `source` through `stages` in order and returns the final stream. */
export function runThrough<T>(
  source: ReadableStream<T>,
  ...stages: StreamPair<T, T>[]
): ReadableStream<T>;
export function runThrough(
  source: ReadableStream<unknown>,
  ...stages: StreamPair<unknown, unknown>[]
): ReadableStream<unknown> {
  return stages.reduce((s, stage) => s.pipeThrough(stage), source);
}
