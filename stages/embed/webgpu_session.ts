/**
 * An ONNX Runtime session on a GPU: onnxruntime-web's WebGPU execution
 * provider over Deno's WebGPU (the adapter the training backend uses too).
 * onnxruntime-node ships a WebGPU provider as well, but its Dawn refuses
 * adapters without `shaderUniform*ArrayDynamicIndexing`, which Mesa's
 * lavapipe lacks, so it cannot be checked without a GPU.
 *
 * @module
 */
import type { InferenceSession } from "onnxruntime-node";
import {
  describeAdapter,
  probeWebGpuAdapter,
  withoutWaylandNoise,
} from "../../models/backend/webgpu_adapter.ts";

/** A session and the adapter it runs on. */
export interface WebGpuSession {
  session: InferenceSession;
  /** The adapter, in words (webgpu_adapter.ts `describeAdapter`). */
  adapter: string;
}

/**
 * Loads `model` (a path or ONNX bytes) on the WebGPU execution provider;
 * returns why not (no adapter, the provider failed) as a sentence instead
 * of throwing, for the caller to fall back to the CPU.
 *
 * @example
 * ```ts ignore
 * const gpu = await createWebGpuSession("models/uni.onnx");
 * if (typeof gpu === "string") console.error(`embedding on the cpu: ${gpu}`);
 * ```
 */
export async function createWebGpuSession(
  model: string | Uint8Array,
): Promise<WebGpuSession | string> {
  const adapter = await probeWebGpuAdapter();
  if (typeof adapter === "string") return `no WebGPU adapter: ${adapter}`;
  try {
    const ort = await import("onnxruntime-web/webgpu");
    // The wasm part (graph setup, the few CPU kernels) stays on one thread:
    // more would start workers that need cross-origin isolation flags.
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = "error";
    const bytes = typeof model === "string"
      ? await Deno.readFile(model)
      : model;
    const session = await withoutWaylandNoise(() =>
      ort.InferenceSession.create(bytes, {
        executionProviders: ["webgpu"],
        graphOptimizationLevel: "all",
      })
    );
    return {
      session: session as unknown as InferenceSession,
      adapter: describeAdapter(adapter),
    };
  } catch (error) {
    return `the WebGPU execution provider failed: ${
      String((error as Error).message ?? error).split("\n")[0]
    }`;
  }
}
