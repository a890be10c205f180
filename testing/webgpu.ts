/**
 * Tests on the WebGPU backend run where WebGPU offers an adapter (Mesa's
 * lavapipe from `mesa-vulkan-drivers` on a machine without a GPU), skip
 * with a one-line reason elsewhere, and are required under CI, as
 * `needs()` (system_libs.ts) does for the other optional packages: the
 * skip goes into the run's summary under `mesa-vulkan-drivers`.
 *
 * @module
 */
import {
  probeWebGpuAdapter,
  type WebGpuAdapterSummary,
} from "../models/backend/webgpu_adapter.ts";
import { systemLibsRequired } from "./system_libs.ts";
import { SKIP_LOG_ENV } from "./run_tests.ts";

/** The Debian package that gives WebGPU an adapter here (pulls in libvulkan1). */
export const WEBGPU_PACKAGE = "mesa-vulkan-drivers";

let probed: Promise<WebGpuAdapterSummary | string> | undefined;
const announced = new Set<string>();

/** The adapter tests would run on, or why there is none (probed once). */
export function webGpuAdapterForTests(): Promise<
  WebGpuAdapterSummary | string
> {
  probed ??= probeWebGpuAdapter();
  return probed;
}

/**
 * Test options for one test on the WebGPU backend: not ignored where an
 * adapter exists or WebGPU is required (CI; the test then fails on the
 * missing adapter); otherwise ignored, after one line saying why.
 *
 * @example
 * ```ts ignore
 * Deno.test("gradients on webgpu match cpu", await needsWebGpu("gradients"), async () => {});
 * ```
 */
export async function needsWebGpu(what: string): Promise<{ ignore: boolean }> {
  const adapter = await webGpuAdapterForTests();
  if (typeof adapter !== "string" || systemLibsRequired()) {
    return { ignore: false };
  }
  const line = `skipped: no WebGPU adapter, ${adapter} (${what})`;
  if (!announced.has(line)) {
    announced.add(line);
    console.error(line);
  }
  let log = "";
  try {
    log = Deno.env.get(SKIP_LOG_ENV) ?? "";
  } catch {
    // no --allow-env: no summary entry
  }
  if (log) {
    Deno.writeTextFileSync(log, `${WEBGPU_PACKAGE}\t${what}\n`, {
      append: true,
    });
  }
  return { ignore: true };
}
