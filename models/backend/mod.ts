/**
 * The tensor engine: backend selection, the OpenBLAS matmul kernels and the
 * WebGPU adapter probe.
 *
 * @module
 */
export * from "./use_backend.ts";
export * from "./backend_from_env.ts";
export {
  DEFAULT_OPENBLAS_PATH,
  OpenBlas,
  OPENBLAS_PATH_ENV,
  resolveOpenBlasPath,
} from "./openblas.ts";
export {
  describeAdapter,
  isSoftwareAdapter,
  mayHaveGpu,
  probeWebGpuAdapter,
  type WebGpuAdapterSummary,
} from "./webgpu_adapter.ts";
