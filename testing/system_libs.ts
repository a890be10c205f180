/**
 * Tests that need an optional system library (OpenBLAS, OpenSlide,
 * Chromium, Slurm) skip with a one-line reason where it is missing, and are
 * required under CI (`CI=true`) or with `ASMIL_REQUIRE_SYSTEM_LIBS=1`, so a
 * missing package fails there instead of skipping. `deno task test`
 * (testing/run_tests.ts) ends with a summary of what was skipped and why.
 *
 * @module
 */
import { OpenBlas } from "../models/backend/openblas.ts";
import { openSlideAvailable } from "../stages/tile/openslide_reader.ts";
import { SKIP_LOG_ENV } from "./run_tests.ts";

/** The optional system packages, by their Debian names. */
export type SystemLib =
  | "libopenblas0-pthread"
  | "libopenslide0"
  | "chromium"
  | "slurm-wlm";

/** Environment variable that makes every optional library required. */
export const REQUIRE_SYSTEM_LIBS_ENV = "ASMIL_REQUIRE_SYSTEM_LIBS";

function env(name: string): string {
  try {
    return Deno.env.get(name) ?? "";
  } catch {
    return "";
  }
}

/** Chromium as `findChromium` (stages/evaluate/screenshot.ts) finds it. */
function chromiumOnPath(): boolean {
  if (env("CHROMIUM")) return true;
  const names = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
  ];
  return env("PATH").split(":").some((dir) =>
    dir !== "" && names.some((name) => {
      try {
        return Deno.statSync(`${dir}/${name}`).isFile;
      } catch {
        return false;
      }
    })
  );
}

/** Whether `name` is an executable file in one of `dirs`. */
function executableIn(dirs: string[], name: string): boolean {
  return dirs.some((dir) => {
    try {
      return dir !== "" && Deno.statSync(`${dir}/${name}`).isFile;
    } catch {
      return false;
    }
  });
}

/** Slurm's daemons and clients, and munge (which slurm-wlm pulls in). */
function slurmInstalled(): boolean {
  const dirs = [...env("PATH").split(":"), "/usr/sbin", "/usr/bin"];
  return ["slurmctld", "slurmd", "sbatch", "scontrol", "munged"].every((n) =>
    executableIn(dirs, n)
  );
}

const probes: Record<SystemLib, () => boolean> = {
  "libopenblas0-pthread": () => {
    try {
      OpenBlas.open();
      return true;
    } catch {
      return false;
    }
  },
  "libopenslide0": openSlideAvailable,
  "chromium": chromiumOnPath,
  "slurm-wlm": slurmInstalled,
};

const known = new Map<SystemLib, boolean>();
const announced = new Set<string>();

/** Whether tests must have every optional library (CI, or asked to). */
export function systemLibsRequired(): boolean {
  const on = (name: string) => ["1", "true"].includes(env(name).toLowerCase());
  return on("CI") || on(REQUIRE_SYSTEM_LIBS_ENV);
}

/** Whether `lib` is installed (probed once per process). */
export function hasSystemLib(lib: SystemLib): boolean {
  let present = known.get(lib);
  if (present === undefined) {
    present = probes[lib]();
    known.set(lib, present);
  }
  return present;
}

/**
 * Whether tests that need `lib` run here: it is installed, or required (and
 * a missing library then fails them).
 */
export function testsNeedingRun(lib: SystemLib): boolean {
  return hasSystemLib(lib) || systemLibsRequired();
}

/**
 * Test options for one test that needs `lib`: `ignore` (skip) when it is
 * missing and not required, after printing one line saying so for `what`
 * (once per reason) and logging the skip for the run's summary; not
 * ignored when it is present or required (a missing library then fails the
 * test, as it must in CI).
 *
 * @example
 * ```ts ignore
 * Deno.test(
 *   "training on blas matches cpu",
 *   needs("libopenblas0-pthread", "blas training parity"),
 *   () => {},
 * );
 * ```
 */
export function needs(lib: SystemLib, what: string): { ignore: boolean } {
  if (testsNeedingRun(lib)) return { ignore: false };
  const line = `skipped: ${lib} not installed (${what})`;
  if (!announced.has(line)) {
    announced.add(line);
    console.error(line);
  }
  const log = env(SKIP_LOG_ENV);
  if (log) {
    Deno.writeTextFileSync(log, `${lib}\t${what}\n`, { append: true });
  }
  return { ignore: true };
}
