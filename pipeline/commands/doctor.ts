/**
 * `asmil doctor`: what this machine offers the pipeline, what each missing
 * piece costs, and the `apt-get install` line that adds the optional ones.
 * The pipeline can run without the optional libraries; the report fails
 * only when a required piece (DuckDB, the tensor engine, sharp, ONNX
 * Runtime, the built-in encoder's weights) is broken.
 *
 * @module
 */
import {
  checkChromium,
  checkDeno,
  checkDisk,
  checkDuckDb,
  checkEncoders,
  checkMemory,
  checkOnnxRuntime,
  checkOpenSlide,
  checkSharp,
  checkTensors,
  checkWebGpu,
} from "./doctor_checks.ts";

/** One line of the report. */
export interface DoctorCheck {
  /** What was checked: `deno`, `backend`, `openslide` … */
  name: string;
  /**
   * `ok`: present and working; `warn`: works, with a limit; `missing`: an
   * optional piece is absent; `failed`: a required piece is broken.
   */
  status: "ok" | "warn" | "missing" | "failed";
  /** What was found (version, path, choice) or what went wrong. */
  detail: string;
  /** What the pipeline loses without it. */
  cost?: string;
  /** The Debian package that provides it. */
  apt?: string;
}

/** The whole report. */
export interface DoctorReport {
  /** Whether the pipeline can run here: no required piece failed. */
  ok: boolean;
  /** The store the disk check looked at. */
  db: string;
  checks: DoctorCheck[];
  /** The `apt-get install` line for the missing optional packages; null when none is missing. */
  install: string | null;
}

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** The run store's path: free disk is reported for its folder. */
  db: string;
}

/**
 * Runs every check (a few seconds: it starts the tensor backend and an ONNX
 * Runtime session).
 *
 * @example
 * ```ts ignore
 * const report = await runDoctor({ db: "runs/asmil.duckdb" });
 * console.log(formatDoctor(report));
 * ```
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [
    checkDeno(),
    await checkDuckDb(),
    ...await checkTensors(),
    await checkOpenSlide(),
    await checkSharp(),
    await checkOnnxRuntime(),
    await checkEncoders(),
    await checkChromium(),
    await checkWebGpu(),
    checkDisk(options.db),
    checkMemory(),
  ];
  return {
    ok: checks.every((c) => c.status !== "failed"),
    db: options.db,
    checks,
    install: installLine(checks),
  };
}

/**
 * The `apt-get install` line for the packages of the checks that are not
 * ok, each package once; null when there is none.
 *
 * @example
 * ```ts
 * import { installLine } from "./doctor.ts";
 * const line = installLine([
 *   { name: "blas", status: "missing", detail: "", apt: "libopenblas0-pthread" },
 *   { name: "backend", status: "warn", detail: "", apt: "libopenblas0-pthread" },
 * ]);
 * if (line !== "sudo apt-get install libopenblas0-pthread") throw new Error(String(line));
 * ```
 */
export function installLine(checks: readonly DoctorCheck[]): string | null {
  const packages = [
    ...new Set(
      checks.filter((c) => c.status !== "ok" && c.apt).map((c) => c.apt!),
    ),
  ];
  return packages.length > 0
    ? `sudo apt-get install ${packages.join(" ")}`
    : null;
}

/** The report for a person: one aligned line per check, then what to install and the verdict. */
export function formatDoctor(report: DoctorReport): string {
  const rows: [string, string, string][] = report.checks.map((c) => [
    c.status === "failed" ? "FAILED" : c.status,
    c.name,
    c.cost && c.status !== "ok" ? `${c.detail} — ${c.cost}` : c.detail,
  ]);
  rows.push([
    "",
    "install",
    report.install ?? "nothing: every optional library is present",
  ]);
  const failed = report.checks.filter((c) => c.status === "failed");
  const optional = report.checks.filter((c) => c.status === "missing").length;
  rows.push([
    "",
    "verdict",
    report.ok
      ? `the pipeline can run here${
        optional > 0 ? `; ${optional} optional piece(s) missing` : ""
      }`
      : `the pipeline cannot run here: ${
        failed.map((c) => c.name).join(", ")
      } failed`,
  ]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([status, name, detail]) =>
    `${status.padEnd(w0)}  ${name.padEnd(w1)}  ${detail}`
  ).join("\n");
}
