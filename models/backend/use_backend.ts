/**
 * Chooses the tensor backend for the whole process: tfjs-node when it is
 * importable, else tfjs's WebGPU backend on a hardware GPU, else the wasm
 * backend with OpenBLAS matmuls, else plain wasm with untransposed matmuls
 * (notes/engine.md). Logs one line saying which and why.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { OpenBlas, resolveOpenBlasPath } from "./openblas.ts";
import { blasKernelConfigs } from "./blas_kernels.ts";
import { untransposedKernelConfig } from "./wasm_untransposed.ts";
import { batchSafeFusedMatMulConfig } from "./wasm_fused_batched.ts";
import { leanWasmKernelConfigs } from "./wasm_lean_kernels.ts";
import { sliceKernelConfigs } from "./wasm_slice_kernels.ts";
import {
  describeAdapter,
  mayHaveGpu,
  probeWebGpuAdapter,
  type WebGpuAdapterSummary,
  withoutWaylandNoise,
} from "./webgpu_adapter.ts";
import { installSyncRead } from "./webgpu_sync_read.ts";
import { installWebGpuKernels } from "./webgpu_kernels.ts";

/** What `useBackend` can be asked for. */
export type BackendChoice =
  | "auto"
  | "blas"
  | "wasm"
  | "cpu"
  | "tensorflow"
  | "webgpu";

/** Every accepted {@link BackendChoice}. */
export const BACKEND_CHOICES: readonly BackendChoice[] = [
  "auto",
  "blas",
  "wasm",
  "cpu",
  "tensorflow",
  "webgpu",
];

/** Options of {@link useBackend}. */
export interface BackendOptions {
  /** Threads for BLAS (or tfjs-node); default: the machine's core count. */
  threads?: number;
  /** Do not log the chosen backend to stderr. */
  quiet?: boolean;
  /** OpenBLAS library path; default `$ASMIL_OPENBLAS`, then the Debian path. */
  openblasPath?: string;
}

/** The backend in use and why it was chosen. */
export interface BackendInfo {
  /** What runs: never `"auto"`. */
  name: Exclude<BackendChoice, "auto">;
  /** The tfjs backend underneath (`tf.getBackend()`). */
  tfBackend: string;
  /** Threads doing the heavy work. */
  threads: number;
  /** Why this backend was chosen. */
  reason: string;
  /** Library path, for `blas`. */
  openblasPath?: string;
  /** The GPU, for `webgpu`. */
  adapter?: WebGpuAdapterSummary;
}

const MATMUL_KERNELS = [tf.BatchMatMul, tf._FusedMatMul];
const LEAN_KERNELS = [
  tf.Identity,
  tf.Sum,
  tf.Tanh,
  tf.Sigmoid,
  tf.Slice,
  tf.SplitV,
];
const TFJS_NODE_PACKAGES = [
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-node",
];

let stockWasmKernels: Map<string, tf.KernelConfig> | undefined;
const openedBlas = new Map<string, OpenBlas>();
let current: BackendInfo | undefined;

/**
 * Selects the process-wide backend and returns what was chosen; throws
 * saying what is missing when an explicitly requested backend cannot run.
 *
 * @example
 * ```ts ignore
 * import { useBackend } from "./models/backend/mod.ts";
 * const info = await useBackend("auto", { threads: 2 });
 * // stderr: asmil backend: blas (tfjs wasm, 2 threads): auto: tfjs-node not
 * // importable; OpenBLAS loaded from /usr/lib/…/libopenblas.so.0
 * ```
 */
export async function useBackend(
  choice: BackendChoice = "auto",
  options: BackendOptions = {},
): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(
      `Backend must be one of ${BACKEND_CHOICES.join(", ")}: got "${choice}"`,
    );
  }
  const threads = options.threads ?? navigator.hardwareConcurrency ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(
      `Backend threads must be a positive integer: current value is ${threads}`,
    );
  }
  const info = await select(choice, threads, options);
  current = info;
  if (!options.quiet) {
    console.error(
      `asmil backend: ${info.name} (tfjs ${info.tfBackend}, ${info.threads} thread${
        info.threads === 1 ? "" : "s"
      }): ${info.reason}`,
    );
  }
  return info;
}

/**
 * The backend chosen by the last {@link useBackend}, if any.
 *
 * @example
 * ```ts ignore
 * if (currentBackend()?.name !== "blas") console.warn("training will be slow");
 * ```
 */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

async function select(
  choice: BackendChoice,
  threads: number,
  options: BackendOptions,
): Promise<BackendInfo> {
  const notes: string[] = [];
  if (choice === "tensorflow" || choice === "auto") {
    const loaded = await importTfjsNode(threads);
    if (typeof loaded !== "string") {
      await activate("tensorflow");
      return {
        name: "tensorflow",
        tfBackend: tf.getBackend(),
        threads,
        reason: `${
          choice === "auto" ? "auto: " : ""
        }${loaded.from} is importable`,
      };
    }
    if (choice === "tensorflow") {
      throw new Error(
        `Backend "tensorflow" needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, ` +
          `which could not be imported (${loaded}); they cannot be installed on machines ` +
          `without access to the libtensorflow download. Use "blas" or "wasm" instead.`,
      );
    }
    notes.push("tfjs-node not importable");
  }
  if (choice === "auto" && !mayHaveGpu()) {
    notes.push("WebGPU: no Vulkan driver");
  } else if (choice === "webgpu" || choice === "auto") {
    const adapter = await probeWebGpuAdapter();
    if (choice === "webgpu") {
      if (typeof adapter === "string") {
        throw new Error(
          `Backend "webgpu" needs a WebGPU adapter: ${adapter}. Use "blas" or "wasm" instead.`,
        );
      }
      return await startWebGpu(
        adapter,
        `requested; ${describeAdapter(adapter)}${
          adapter.software ? ": a software rasteriser, slower than blas" : ""
        }`,
      );
    }
    if (typeof adapter !== "string" && !adapter.software) {
      return await startWebGpu(
        adapter,
        `auto: ${notes.join("; ")}; ${describeAdapter(adapter)}`,
      );
    }
    notes.push(
      typeof adapter === "string"
        ? `WebGPU: ${adapter}`
        : `WebGPU adapter ${describeAdapter(adapter)} not used`,
    );
  }
  if (choice === "blas" || choice === "auto") {
    let blas: OpenBlas | undefined;
    try {
      blas = openBlas(options.openblasPath);
    } catch (error) {
      if (choice === "blas") throw error;
      notes.push((error as Error).message);
    }
    if (blas !== undefined) {
      blas.setThreads(threads);
      await activate("wasm");
      installMatMuls(blasKernelConfigs(blas));
      notes.push(`OpenBLAS loaded from ${blas.path}`);
      return {
        name: "blas",
        tfBackend: "wasm",
        threads,
        reason: `${choice === "auto" ? "auto: " : "requested; "}${
          notes.join("; ")
        }`,
        openblasPath: blas.path,
      };
    }
  }
  if (choice === "cpu") {
    await activate("cpu");
    return { name: "cpu", tfBackend: "cpu", threads: 1, reason: "requested" };
  }
  await activate("wasm");
  const batchMatMul = untransposedKernelConfig(stockWasm(tf.BatchMatMul));
  const fused = untransposedKernelConfig(stockWasm(tf._FusedMatMul));
  installMatMuls([
    batchMatMul,
    batchSafeFusedMatMulConfig(fused, batchMatMul),
  ]);
  notes.push("wasm matmuls run on untransposed operands; single-threaded");
  return {
    name: "wasm",
    tfBackend: "wasm",
    threads: 1,
    reason: `${choice === "auto" ? "auto: " : "requested; "}${
      notes.join("; ")
    }`,
  };
}

/**
 * tfjs's WebGPU backend (imported on first use: it registers itself above
 * every other backend) with synchronous reads that work under Deno.
 */
async function startWebGpu(
  adapter: WebGpuAdapterSummary,
  reason: string,
): Promise<BackendInfo> {
  await import("@tensorflow/tfjs-backend-webgpu");
  // tfjs requests the adapter again as the backend starts.
  await withoutWaylandNoise(() => activate("webgpu"));
  const backend = tf.backend();
  await installSyncRead(backend);
  installWebGpuKernels((backend as unknown as { device: GPUDevice }).device);
  return { name: "webgpu", tfBackend: "webgpu", threads: 1, reason, adapter };
}

/** Opens OpenBLAS once per library path. */
function openBlas(path: string | undefined): OpenBlas {
  const where = resolveOpenBlasPath(path);
  let blas = openedBlas.get(where);
  if (blas === undefined) {
    blas = OpenBlas.open(where);
    openedBlas.set(where, blas);
  }
  return blas;
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) {
    throw new Error(`The tfjs backend "${name}" failed to initialise`);
  }
  await tf.ready();
  if (name === "cpu") {
    // Its first-use banner recommends tfjs-node, which cannot be installed
    // here; useBackend logs its own line instead.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
}

/** The wasm backend's own kernels that get replaced, captured before any swap. */
function stockWasm(name: string): tf.KernelConfig {
  stockWasmKernels ??= new Map(
    [...MATMUL_KERNELS, ...LEAN_KERNELS].map((kernel) => {
      const config = tf.getKernel(kernel, "wasm");
      if (config === undefined) {
        throw new Error(`The wasm backend has no ${kernel} kernel registered`);
      }
      return [kernel, config];
    }),
  );
  return stockWasmKernels.get(name)!;
}

/** Installs `matMuls` plus the lean Identity, Sum, Tanh, Slice and SplitV on the wasm backend. */
function installMatMuls(matMuls: tf.KernelConfig[]): void {
  const lean = leanWasmKernelConfigs(stockWasm(tf.Sum), stockWasm(tf.Sigmoid));
  const slices = sliceKernelConfigs(stockWasm(tf.Slice), stockWasm(tf.SplitV));
  for (const config of [...matMuls, ...lean, ...slices]) {
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel(config);
  }
}

/**
 * Imports tfjs-node(-gpu) if it is resolvable; returns why not otherwise.
 * libtensorflow reads its thread count from the environment at load time.
 */
async function importTfjsNode(
  threads: number,
): Promise<{ from: string } | string> {
  const THREADS_ENV = "TF_NUM_INTRAOP_THREADS";
  let setThreads = false;
  try {
    if (Deno.env.get(THREADS_ENV) === undefined) {
      Deno.env.set(THREADS_ENV, String(threads));
      setThreads = true;
    }
  } catch {
    // no --allow-env: libtensorflow picks its own thread count
  }
  const failures: string[] = [];
  for (const specifier of TFJS_NODE_PACKAGES) {
    try {
      await import(specifier);
      return { from: specifier };
    } catch (error) {
      const first = String((error as Error).message ?? error).split("\n")[0];
      failures.push(`${specifier}: ${first}`);
    }
  }
  if (setThreads) Deno.env.delete(THREADS_ENV);
  return failures.join("; ");
}
