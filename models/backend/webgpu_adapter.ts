/**
 * The WebGPU adapter this Deno offers, described for `useBackend("auto")`
 * and `asmil doctor`: a hardware GPU, or a software rasteriser (Mesa's
 * lavapipe/llvmpipe, SwiftShader, WARP) that is slower than the CPU
 * backends.
 *
 * @module
 */

/** What the adapter is. */
export interface WebGpuAdapterSummary {
  /** The driver's description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  /** The vendor as WebGPU reports it (a PCI or Khronos vendor id on Vulkan). */
  vendor: string;
  architecture: string;
  device: string;
  /** `isFallbackAdapter`: the implementation says it is a fallback adapter. */
  fallback: boolean;
  /** Fallback, or a known software rasteriser by name. */
  software: boolean;
  /** `limits.maxStorageBufferBindingSize`, bytes: the largest tensor a kernel can bind. */
  maxStorageBufferBindingSize: number;
}

const SOFTWARE_NAMES =
  /llvmpipe|lavapipe|swiftshader|\bwarp\b|software|softpipe/i;
/** Khronos vendor id of Mesa (VK_VENDOR_ID_MESA, 0x10005): its software drivers. */
const MESA_VENDOR_ID = String(0x10005);

/**
 * Whether an adapter is a software one: flagged as a fallback, named like a
 * software rasteriser, or of Mesa's own vendor id (lavapipe).
 *
 * @example
 * ```ts
 * import { isSoftwareAdapter } from "./webgpu_adapter.ts";
 * const lavapipe = { description: "llvmpipe (LLVM 15.0.6, 256 bits)", vendor: "65541", fallback: true };
 * if (!isSoftwareAdapter(lavapipe)) throw new Error("lavapipe is software");
 * if (isSoftwareAdapter({ description: "NVIDIA H200", vendor: "4318", fallback: false })) {
 *   throw new Error("an NVIDIA GPU is hardware");
 * }
 * ```
 */
export function isSoftwareAdapter(
  info: Pick<WebGpuAdapterSummary, "description" | "vendor" | "fallback">,
): boolean {
  return info.fallback || SOFTWARE_NAMES.test(info.description) ||
    info.vendor === MESA_VENDOR_ID;
}

/**
 * One line for people: "llvmpipe (…) (software, fallback adapter)".
 *
 * @example
 * ```ts
 * import { describeAdapter } from "./webgpu_adapter.ts";
 * const line = describeAdapter({
 *   description: "NVIDIA H200", vendor: "4318", architecture: "", device: "8997",
 *   fallback: false, software: false, maxStorageBufferBindingSize: 2 ** 31,
 * });
 * if (line !== "NVIDIA H200 (vendor 4318, device 8997; hardware)") throw new Error(line);
 * ```
 */
export function describeAdapter(info: WebGpuAdapterSummary): string {
  const name = info.description ||
    [info.architecture, info.device].filter(Boolean).join(" ") ||
    "an unnamed adapter";
  const ids = [
    info.vendor && `vendor ${info.vendor}`,
    info.device && `device ${info.device}`,
  ].filter(Boolean).join(", ");
  const kind = info.software
    ? `software${info.fallback ? ", fallback adapter" : ""}`
    : "hardware";
  return `${name} (${ids ? `${ids}; ` : ""}${kind})`;
}

/**
 * Whether WebGPU may find an adapter here, decided without starting it
 * (≈ 0.4 s of Vulkan start-up that every `auto` would spend otherwise). On
 * Linux, Deno's WebGPU runs on Vulkan, which needs a driver manifest
 * (`*.json` in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d, or one named
 * by `VK_ICD_FILENAMES`/`VK_DRIVER_FILES`); Deno does not let a program
 * without --allow-all look at /dev or /sys for the GPU itself. Elsewhere,
 * or when the folders cannot be read, assume it may.
 *
 * @example
 * ```ts
 * import { mayHaveGpu } from "./webgpu_adapter.ts";
 * if (typeof mayHaveGpu() !== "boolean") throw new Error();
 * ```
 */
export function mayHaveGpu(): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    if (Deno.env.get("VK_ICD_FILENAMES") || Deno.env.get("VK_DRIVER_FILES")) {
      return true;
    }
  } catch {
    return true;
  }
  return ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d"].some((dir) => {
    try {
      return [...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".json"));
    } catch (error) {
      return !(error instanceof Deno.errors.NotFound);
    }
  });
}

/**
 * Runs `fn` (something that requests a WebGPU adapter) without the line
 * "error: XDG_RUNTIME_DIR is invalid or not set" that the Wayland probe of
 * adapter discovery prints on every request where the variable is unset:
 * it points at the temp folder (no compositor socket there) while `fn`
 * runs, and is unset again afterwards, so child processes see the
 * environment they were given.
 *
 * @example
 * ```ts ignore
 * const adapter = await withoutWaylandNoise(() => navigator.gpu.requestAdapter());
 * ```
 */
export async function withoutWaylandNoise<T>(fn: () => Promise<T>): Promise<T> {
  let set = false;
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR") === undefined) {
      Deno.env.set("XDG_RUNTIME_DIR", Deno.env.get("TMPDIR") || "/tmp");
      set = true;
    }
  } catch {
    // no --allow-env: the probe prints its line
  }
  try {
    return await fn();
  } finally {
    if (set) Deno.env.delete("XDG_RUNTIME_DIR");
  }
}

/**
 * The adapter `navigator.gpu.requestAdapter({ powerPreference:
 * "high-performance" })` returns (what tfjs's WebGPU backend asks for), or
 * a sentence saying why there is none. Gives up after `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * const adapter = await probeWebGpuAdapter();
 * console.log(typeof adapter === "string" ? adapter : describeAdapter(adapter));
 * ```
 */
export async function probeWebGpuAdapter(
  timeoutMs = 10_000,
): Promise<WebGpuAdapterSummary | string> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (gpu === undefined) {
    return "no navigator.gpu: Deno needs --unstable-webgpu";
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const adapter = await Promise.race([
      withoutWaylandNoise(() =>
        gpu.requestAdapter({ powerPreference: "high-performance" })
      ),
      new Promise<"timeout">((done) => {
        timer = setTimeout(() => done("timeout"), timeoutMs);
      }),
    ]);
    if (adapter === "timeout") {
      return `no adapter within ${timeoutMs / 1000} s`;
    }
    if (adapter === null) {
      return "no adapter found (for a GPU: its Vulkan driver; for the software one: apt-get install mesa-vulkan-drivers libvulkan1)";
    }
    const i = adapter.info;
    const summary = {
      description: i.description,
      vendor: i.vendor,
      architecture: i.architecture,
      device: i.device,
      fallback: Boolean(
        (i as { isFallbackAdapter?: boolean }).isFallbackAdapter,
      ),
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    };
    return { ...summary, software: isSoftwareAdapter(summary) };
  } catch (error) {
    return `requestAdapter failed: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
