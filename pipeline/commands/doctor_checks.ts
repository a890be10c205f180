/**
 * The probes behind `asmil doctor`. Each loads or runs the real piece (the
 * tensor backend `auto` picks, OpenSlide, an ONNX Runtime session, a fresh
 * DuckDB store …) and reports what it found; none throws.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { statfsSync } from "node:fs";
import type { DoctorCheck } from "./doctor.ts";

const GiB = 1024 ** 3;
/** Below this much free disk or available memory a check warns. */
const LOW_GIB = 2;

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split(
    "\n",
  )[0]!;
}

/** A dlopen failure in a few words: "not found: PATH" when the file is absent. */
function loadProblem(error: unknown, library: string): string {
  const text = message(error);
  return /cannot open shared object file: No such file/.test(text)
    ? `not installed: ${library} not found`
    : text;
}

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

/** Deno itself. */
export function checkDeno(): DoctorCheck {
  const v = Deno.version;
  return {
    name: "deno",
    status: "ok",
    detail: `${v.deno} (V8 ${v.v8}, TypeScript ${v.typescript})`,
  };
}

/** DuckDB: a new store (schema, macros) in a temporary folder. */
export async function checkDuckDb(): Promise<DoctorCheck> {
  const name = "duckdb";
  let dir: string | undefined;
  try {
    const { Store } = await import("../../data/store.ts");
    dir = await Deno.makeTempDir({ prefix: "asmil-doctor-" });
    const store = await Store.open(`${dir}/doctor.duckdb`);
    try {
      const version = await store.duckdbVersion();
      return {
        name,
        status: "ok",
        detail: `${version}: a new store opens with its schema and macros`,
      };
    } finally {
      store.close();
    }
  } catch (error) {
    return {
      name,
      status: "failed",
      detail: `a new store in a temporary folder did not open: ${
        message(error)
      }`,
      cost: "nothing can be stored: every command needs the run store",
    };
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The tensor backend `auto` picks, and OpenBLAS with its thread count. */
export async function checkTensors(): Promise<DoctorCheck[]> {
  const { useBackend } = await import("../../models/backend/use_backend.ts");
  const { OpenBlas, OPENBLAS_PATH_ENV, resolveOpenBlasPath } = await import(
    "../../models/backend/openblas.ts"
  );
  const slow = "training ≈4× slower than with OpenBLAS";
  let backend: DoctorCheck;
  try {
    const info = await useBackend("auto", { quiet: true });
    // The blas line below says why OpenBLAS did not load.
    const reason = info.reason.replace(/^auto: /, "").replace(
      /Cannot load OpenBLAS from "[^"]*": [^;]*/,
      "OpenBLAS did not load",
    );
    backend = {
      name: "backend",
      status: info.name === "wasm" ? "warn" : "ok",
      detail:
        `auto → ${info.name} (tfjs ${info.tfBackend}, ${info.threads} thread${
          info.threads === 1 ? "" : "s"
        }): ${reason}`,
      ...(info.name === "wasm"
        ? { cost: slow, apt: "libopenblas0-pthread" }
        : {}),
    };
  } catch (error) {
    backend = {
      name: "backend",
      status: "failed",
      detail: `auto could not start a tensor backend: ${message(error)}`,
      cost: "no training",
    };
  }
  let blas: DoctorCheck;
  try {
    const lib = OpenBlas.open();
    blas = {
      name: "blas",
      status: "ok",
      detail:
        `${lib.path}, ${lib.threads()} threads (default all cores; train --threads N)`,
    };
  } catch (error) {
    blas = {
      name: "blas",
      status: "missing",
      detail: `${
        loadProblem(error, resolveOpenBlasPath())
      } (or set ${OPENBLAS_PATH_ENV})`,
      cost: slow,
      apt: "libopenblas0-pthread",
    };
  }
  return [backend, blas];
}

/** OpenSlide through FFI. */
export async function checkOpenSlide(): Promise<DoctorCheck> {
  const { loadOpenSlide, openSlideVersion } = await import(
    "../../stages/tile/openslide_reader.ts"
  );
  try {
    loadOpenSlide();
    return {
      name: "openslide",
      status: "ok",
      detail: `${openSlideVersion()}: SVS, NDPI, MRXS … readable`,
    };
  } catch (error) {
    return {
      name: "openslide",
      status: "missing",
      detail: loadProblem(error, "libopenslide.so.0"),
      cost: "SVS/NDPI/MRXS … unreadable; pyramidal TIFF only, through sharp",
      apt: "libopenslide0",
    };
  }
}

/** sharp and libvips, by encoding a small PNG. */
export async function checkSharp(): Promise<DoctorCheck> {
  try {
    const { default: sharp } = await import("sharp");
    await sharp({
      create: { width: 2, height: 2, channels: 3, background: "#fff" },
    }).png().toBuffer();
    const v = sharp.versions as Record<string, string | undefined>;
    return {
      name: "sharp",
      status: "ok",
      detail: `sharp ${v.sharp}, libvips ${v.vips}`,
    };
  } catch (error) {
    return {
      name: "sharp",
      status: "failed",
      detail: `sharp did not encode an image: ${message(error)}`,
      cost: "no TIFF reading, thumbnails, QC images or heatmaps",
    };
  }
}

/** ONNX Runtime: its providers, and a tiny model loaded and run. */
export async function checkOnnxRuntime(): Promise<DoctorCheck> {
  try {
    const ort = await import("onnxruntime-node");
    const { OnnxEncoder } = await import("../../stages/embed/onnx_encoder.ts");
    const { tinyOnnxModel } = await import(
      "../../stages/embed/tiny_onnx_model.ts"
    );
    const encoder = await OnnxEncoder.create({
      model: tinyOnnxModel({ dim: 4, seed: 0 }),
      inputSize: 16,
      threads: 1,
    });
    await encoder.close();
    const providers = ort.listSupportedBackends().map((b) =>
      b.bundled ? b.name : `${b.name} (not bundled)`
    );
    return {
      name: "onnxruntime",
      status: "ok",
      detail: `${ort.env.versions.node ?? ort.env.versions.common}, ` +
        `providers ${providers.join(", ")}; embedding runs on cpu`,
    };
  } catch (error) {
    return {
      name: "onnxruntime",
      status: "failed",
      detail: `a tiny ONNX model did not load and run: ${message(error)}`,
      cost: "no embedding (import-features still works)",
    };
  }
}

/** The encoders usable offline: the built-in one and ONNX files. */
export async function checkEncoders(): Promise<DoctorCheck> {
  const { BUILTIN_ENCODERS } = await import(
    "../../stages/embed/open_encoder.ts"
  );
  const { cacheDir } = await import("../../stages/embed/mobilenet_v2.ts");
  const dir = cacheDir();
  const cached: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (/^mobilenet_v2-.*\.onnx$/.test(e.name)) cached.push(e.name);
    }
  } catch {
    // no cache yet
  }
  try {
    await import("nsfwjs/models/mobilenet_v2");
  } catch (error) {
    return {
      name: "encoders",
      status: "failed",
      detail: `the built-in mobilenet_v2's weights (npm nsfwjs) did not load: ${
        message(error)
      }`,
      cost: "no default encoder: give an .onnx model or import features",
    };
  }
  const where = cached.length > 0
    ? `converted model cached in ${dir}`
    : `converted from the npm nsfwjs weights on the first embed, into ${dir}`;
  return {
    name: "encoders",
    status: "ok",
    detail: `${
      BUILTIN_ENCODERS.join(", ")
    } (built in, 1280-d, ${where}); any .onnx image model by path`,
  };
}

/** Chromium for report screenshots. */
export async function checkChromium(): Promise<DoctorCheck> {
  const { findChromium } = await import("../../stages/evaluate/screenshot.ts");
  const path = await findChromium();
  if (path) return { name: "chromium", status: "ok", detail: path };
  return {
    name: "chromium",
    status: "missing",
    detail: "no chromium on PATH and CHROMIUM not set",
    cost: "no report screenshots (the HTML report needs no browser)",
    apt: "chromium",
  };
}

/**
 * The WebGPU adapter: what `--backend webgpu` trains on, and whether `auto`
 * would pick it (a hardware GPU only).
 */
export async function checkWebGpu(): Promise<DoctorCheck> {
  const { probeWebGpuAdapter, describeAdapter } = await import(
    "../../models/backend/webgpu_adapter.ts"
  );
  const adapter = await probeWebGpuAdapter();
  if (typeof adapter === "string") {
    return {
      name: "webgpu",
      status: "missing",
      detail: `not available: ${adapter}`,
      cost: "no GPU training (--backend webgpu); training runs on the CPU",
    };
  }
  return adapter.software
    ? {
      name: "webgpu",
      status: "warn",
      detail: `${
        describeAdapter(adapter)
      }: --backend webgpu and embed --device webgpu run, slower than on the CPU; auto does not pick it`,
      cost: "no GPU here: training runs on the CPU",
    }
    : {
      name: "webgpu",
      status: "ok",
      detail: `${
        describeAdapter(adapter)
      }: auto trains on it (--backend webgpu); embed --device webgpu embeds on it`,
    };
}

/** Free disk where the store lives (its nearest existing folder). */
export function checkDisk(db: string): DoctorCheck {
  if (db === ":memory:") {
    return { name: "disk", status: "ok", detail: "store in memory" };
  }
  let dir = dirname(db);
  while (dir !== dirname(dir)) {
    try {
      if (Deno.statSync(dir).isDirectory) break;
    } catch {
      // not created yet: look at the folder it will be created in
    }
    dir = dirname(dir);
  }
  try {
    const fs = statfsSync(dir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    return {
      name: "disk",
      status: free < LOW_GIB * GiB ? "warn" : "ok",
      detail: `${gib(free)} free in ${resolve(dir)} (store ${db})`,
      ...(free < LOW_GIB * GiB
        ? { cost: "embeddings take 4 KB per tile at 1024-d float32" }
        : {}),
    };
  } catch (error) {
    return {
      name: "disk",
      status: "warn",
      detail: `free space in ${dir} unknown: ${message(error)}`,
    };
  }
}

/** Available memory. */
export function checkMemory(): DoctorCheck {
  try {
    const m = Deno.systemMemoryInfo();
    const low = m.available < LOW_GIB * GiB;
    return {
      name: "memory",
      status: low ? "warn" : "ok",
      detail: `${gib(m.available)} available of ${gib(m.total)}`,
      ...(low ? { cost: "large bags (TransMIL, N ≈ 20,000) may not fit" } : {}),
    };
  } catch (error) {
    return {
      name: "memory",
      status: "warn",
      detail: `unknown: ${message(error)}`,
    };
  }
}
