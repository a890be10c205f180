/**
 * File writes that go on while training continues: an epoch's checkpoint
 * and weight files (an ASMIL checkpoint at D 1280 is ~140 MB) are captured
 * in memory at the end of the epoch and written while the next one trains.
 * Each write is atomic (temporary file, then rename), writes happen in the
 * order queued, and the trainer settles them before queuing the next
 * epoch's, so at most one epoch's files are in flight.
 *
 * @module
 */

/**
 * A queue of atomic file writes.
 *
 * @example
 * ```ts
 * import { BackgroundWrites } from "./background_writes.ts";
 * const dir = await Deno.makeTempDir();
 * const writes = new BackgroundWrites();
 * writes.write(`${dir}/a.bin`, new Uint8Array([1, 2]));
 * await writes.settle();
 * if ((await Deno.readFile(`${dir}/a.bin`)).length !== 2) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class BackgroundWrites {
  #tail: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  /** Queues writing `bytes` to `path` (through `path.tmp` and a rename). */
  write(path: string, bytes: Uint8Array): void {
    this.#tail = this.#tail.then(async () => {
      if (this.#failure) return;
      try {
        await Deno.writeFile(`${path}.tmp`, bytes);
        await Deno.rename(`${path}.tmp`, path);
      } catch (error) {
        this.#failure = {
          error: new Error(
            `Cannot write ${path}: ${
              error instanceof Error ? error.message : String(error)
            }`,
            { cause: error },
          ),
        };
      }
    });
  }

  /**
   * Waits until every queued write is on disk; returns the seconds spent
   * waiting. Throws the first failed write's error (later writes are
   * skipped once one fails).
   */
  async settle(): Promise<number> {
    const start = performance.now();
    await this.#tail;
    if (this.#failure) throw this.#failure.error;
    return (performance.now() - start) / 1000;
  }
}
