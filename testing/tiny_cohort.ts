/**
 * For tests: small synthetic cohorts of 1024-pixel slides, and the `asmil
 * tile` arguments the command-line tests tile them with. {@link tinyCohort}
 * writes each cohort once per test process, into a temporary folder removed
 * when the process ends; tests that change the slide folder write their
 * own with {@link writeTinyCohort}.
 *
 * @module
 */

import { join } from "node:path";
import {
  type SyntheticCohort,
  writeSyntheticCohort,
} from "../data/synthetic/cohort.ts";

/** Which small cohort. */
export interface TinyCohortOptions {
  /** Number of slides. */
  slides: number;
  /** Cohort seed (default 4). */
  seed?: number;
  /** Level-0 side lengths (default 1024 only). */
  sides?: readonly number[];
}

/**
 * Writes a small synthetic cohort into `outDir`.
 *
 * @example
 * ```ts ignore
 * const cohort = await writeTinyCohort(`${dir}/slides`, { slides: 2 });
 * ```
 */
export function writeTinyCohort(
  outDir: string,
  { slides, seed = 4, sides = [1024] }: TinyCohortOptions,
): Promise<SyntheticCohort> {
  return writeSyntheticCohort({ outDir, slides, seed, sides });
}

let root: string | undefined;
const cohorts = new Map<string, Promise<SyntheticCohort>>();

/**
 * The small cohort of these options, written on first use in this process
 * and shared by the tests that only read it.
 *
 * @example
 * ```ts ignore
 * const cohort = await tinyCohort({ slides: 4 });
 * ```
 */
export function tinyCohort(
  options: TinyCohortOptions,
): Promise<SyntheticCohort> {
  const { slides, seed = 4, sides = [1024] } = options;
  const key = `${slides}-slides-seed-${seed}-sides-${sides.join("-")}`;
  let cohort = cohorts.get(key);
  if (cohort === undefined) {
    if (root === undefined) {
      const dir = Deno.makeTempDirSync({ prefix: "asmil-tiny-cohorts-" });
      globalThis.addEventListener(
        "unload",
        () => Deno.removeSync(dir, { recursive: true }),
      );
      root = dir;
    }
    cohort = writeTinyCohort(join(root, key), { slides, seed, sides });
    cohorts.set(key, cohort);
  }
  return cohort;
}

/**
 * `asmil tile` arguments for the slides in `slides` as the tests tile
 * them: no QC images, tiles with at least 30 % tissue, then `extra`.
 *
 * @example
 * ```ts
 * import { tileArgs } from "./tiny_cohort.ts";
 * const args = tileArgs("/c", "--shard", "0/2");
 * if (args.join(" ") !== "tile --slides /c --no-qc --min-tissue 0.3 --shard 0/2") {
 *   throw new Error(args.join(" "));
 * }
 * ```
 */
export function tileArgs(slides: string, ...extra: string[]): string[] {
  return [
    "tile",
    "--slides",
    slides,
    "--no-qc",
    "--min-tissue",
    "0.3",
    ...extra,
  ];
}
