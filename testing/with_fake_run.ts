/**
 * For tests that write reports: a temporary folder and an in-memory store
 * holding one fake run, both gone when the test is done.
 *
 * @module
 */

import { Store } from "../data/store.ts";
import {
  type FakeRunOptions,
  type FakeSlide,
  fakeSlides,
  syntheticSlides,
  writeFakeRun,
} from "./fake_run.ts";
import { withTempDir } from "./temp_dir.ts";

/** Options of {@link withFakeRun}: {@link FakeRunOptions} with defaults. */
export interface WithFakeRunOptions
  extends Omit<FakeRunOptions, "run" | "slides"> {
  /** Default `r`. */
  run?: string;
  /** How many slides. */
  slides: number;
  /**
   * Whether the slides are synthetic slide files written into the folder
   * (see {@link syntheticSlides}) rather than {@link fakeSlides} without
   * files. Default false.
   */
  images?: boolean;
}

/** What {@link withFakeRun} hands its callback. */
export interface FakeRunSetting {
  store: Store;
  /** The temporary folder. */
  dir: string;
  slides: FakeSlide[];
}

/**
 * Runs `fn` with a new temporary folder and an in-memory store holding one
 * fake run (see {@link writeFakeRun}); closes the store and removes the
 * folder afterwards, whether `fn` succeeds or throws.
 *
 * @example
 * ```ts
 * import { withFakeRun } from "./with_fake_run.ts";
 * const epochs = await withFakeRun(
 *   { slides: 2, epochs: 3, seed: 1 },
 *   async ({ store }) => (await store.predictionEpochs("r")).length,
 * );
 * if (epochs !== 3) throw new Error(`${epochs}`);
 * ```
 */
export async function withFakeRun<T>(
  options: WithFakeRunOptions,
  fn: (setting: FakeRunSetting) => Promise<T>,
): Promise<T> {
  const { images = false, run = "r", ...rest } = options;
  return await withTempDir("asmil-fake-run-", async (dir) => {
    const store = await Store.open(":memory:");
    try {
      const slides = images
        ? await syntheticSlides(dir, options.slides)
        : fakeSlides(options.slides);
      await writeFakeRun(store, { ...rest, run, slides });
      return await fn({ store, dir, slides });
    } finally {
      store.close();
    }
  });
}
