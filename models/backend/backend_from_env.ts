/**
 * Backend selection from the environment, so tests and benches run on the
 * backend `ASMIL_BACKEND` names (`auto` when unset).
 *
 * @module
 */
import {
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
  type BackendOptions,
  useBackend,
} from "./use_backend.ts";

/** Environment variable naming the backend for tests and benches. */
export const BACKEND_ENV = "ASMIL_BACKEND";

/**
 * Calls {@link useBackend} with `$ASMIL_BACKEND` (default `"auto"`); throws
 * listing the valid names when the variable holds something else.
 *
 * @example
 * ```ts ignore
 * // ASMIL_BACKEND=wasm deno test …
 * await useBackendFromEnv({ quiet: true });
 * ```
 */
export async function useBackendFromEnv(
  options: BackendOptions = {},
): Promise<BackendInfo> {
  const value = Deno.env.get(BACKEND_ENV) || "auto";
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) {
    throw new Error(
      `${BACKEND_ENV} must be one of ${
        BACKEND_CHOICES.join(", ")
      }: got "${value}"`,
    );
  }
  return await useBackend(value as BackendChoice, options);
}
