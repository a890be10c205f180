/**
 * Tests that need an optional system library (OpenBLAS, OpenSlide,
 * Chromium) skip with a one-line reason where it is missing, and are
 * required under CI (`CI=true`) or with `ASMIL_REQUIRE_SYSTEM_LIBS=1`, so a
 * missing package fails there instead of skipping.
 *
 * @module
 */
import { OpenBlas } from "../models/backend/openblas.ts";
import { openSlideAvailable } from "../stages/tile/openslide_reader.ts";
import { findChromium } from "../stages/evaluate/screenshot.ts";

/** The optional system packages, by their Debian names. */
export type SystemLib = "libopenblas0-pthread" | "libopenslide0" | "chromium";

/** Environment variable that makes every optional library required. */
export const REQUIRE_SYSTEM_LIBS_ENV = "ASMIL_REQUIRE_SYSTEM_LIBS";

const probes: Record<SystemLib, () => boolean | Promise<boolean>> = {
  "libopenblas0-pthread": () => {
    try {
      OpenBlas.open();
      return true;
    } catch {
      return false;
    }
  },
  "libopenslide0": openSlideAvailable,
  "chromium": async () => (await findChromium()) !== null,
};

const known = new Map<SystemLib, boolean>();
const announced = new Set<string>();

/** Whether tests must have every optional library (CI, or asked to). */
export function systemLibsRequired(): boolean {
  const env = (name: string) => {
    try {
      return Deno.env.get(name) ?? "";
    } catch {
      return "";
    }
  };
  return ["1", "true"].includes(env("CI").toLowerCase()) ||
    ["1", "true"].includes(env(REQUIRE_SYSTEM_LIBS_ENV).toLowerCase());
}

/** Whether `lib` is installed (probed once per process). */
export async function hasSystemLib(lib: SystemLib): Promise<boolean> {
  let present = known.get(lib);
  if (present === undefined) {
    present = await probes[lib]();
    known.set(lib, present);
  }
  return present;
}

/**
 * The `ignore` flag for a test that needs `lib`: true (skip) when it is
 * missing and not required, after printing one line saying so for `what`;
 * false when it is present or required (a missing library then fails the
 * test, as it must in CI).
 *
 * @example
 * ```ts ignore
 * Deno.test({
 *   name: "training on blas matches cpu",
 *   ignore: await skipWithout("libopenblas0-pthread", "blas training parity"),
 *   fn() {},
 * });
 * ```
 */
export async function skipWithout(
  lib: SystemLib,
  what: string,
): Promise<boolean> {
  if ((await hasSystemLib(lib)) || systemLibsRequired()) return false;
  const line = `skipped: ${lib} not installed (${what})`;
  if (!announced.has(line)) {
    announced.add(line);
    console.error(line);
  }
  return true;
}
