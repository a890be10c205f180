/**
 * The tensor engine: backend selection and the OpenBLAS matmul kernels.
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
