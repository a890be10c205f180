/**
 * OpenBLAS bound through `Deno.dlopen`: single-precision GEMM and the thread
 * count, which is all the BLAS kernels need.
 *
 * @module
 */

/** Where Debian's `libopenblas0-pthread` puts the library. */
export const DEFAULT_OPENBLAS_PATH =
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";

/** Environment variable that overrides the library path. */
export const OPENBLAS_PATH_ENV = "ASMIL_OPENBLAS";

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const symbols = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
} as const;

/**
 * A loaded OpenBLAS library.
 *
 * @example
 * ```ts ignore
 * const blas = OpenBlas.open();
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([1, 0, 0, 1]);
 * const c = new Float32Array(4);
 * blas.sgemm(false, false, 2, 2, 2, a, b, c); // c = a · b
 * ```
 */
export class OpenBlas {
  #lib: Deno.DynamicLibrary<typeof symbols>;
  /** Path the library was loaded from. */
  readonly path: string;

  private constructor(lib: Deno.DynamicLibrary<typeof symbols>, path: string) {
    this.#lib = lib;
    this.path = path;
  }

  /**
   * Loads OpenBLAS from `path`, else `$ASMIL_OPENBLAS`, else the Debian
   * default; throws saying which path failed and why.
   */
  static open(path?: string): OpenBlas {
    const where = resolveOpenBlasPath(path);
    try {
      return new OpenBlas(Deno.dlopen(where, symbols), where);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot load OpenBLAS from "${where}": ${why}`);
    }
  }

  /** Sets the number of BLAS threads (≥ 1). */
  setThreads(threads: number): void {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(
        `OpenBLAS thread count must be a positive integer: current value is ${threads}`,
      );
    }
    this.#lib.symbols.openblas_set_num_threads(threads);
  }

  /** The number of threads OpenBLAS uses. */
  threads(): number {
    return this.#lib.symbols.openblas_get_num_threads();
  }

  /**
   * Row-major `c = op(a) · op(b)` with `op(a)` of shape `[m, k]` and
   * `op(b)` of shape `[k, n]`; `a`, `b`, `c` are dense (no strides).
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
  ): void {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      c.fill(0, 0, m * n);
      return;
    }
    this.#lib.symbols.cblas_sgemm(
      ROW_MAJOR,
      transA ? TRANS : NO_TRANS,
      transB ? TRANS : NO_TRANS,
      m,
      n,
      k,
      1,
      a,
      transA ? m : k,
      b,
      transB ? k : n,
      0,
      c,
      n,
    );
  }

  /** Unloads the library. */
  close(): void {
    this.#lib.close();
  }
}

/**
 * `path`, else `$ASMIL_OPENBLAS`, else {@link DEFAULT_OPENBLAS_PATH}.
 *
 * @example
 * ```ts
 * import { resolveOpenBlasPath } from "./openblas.ts";
 * if (resolveOpenBlasPath("/opt/libopenblas.so") !== "/opt/libopenblas.so") throw new Error();
 * ```
 */
export function resolveOpenBlasPath(path?: string): string {
  if (path !== undefined) return path;
  try {
    return Deno.env.get(OPENBLAS_PATH_ENV) || DEFAULT_OPENBLAS_PATH;
  } catch {
    return DEFAULT_OPENBLAS_PATH; // no --allow-env: use the default path
  }
}
