/**
 * The default, offline encoder: the MobileNetV2 whose pretrained weights ship
 * inside the `nsfwjs` npm package, converted once to ONNX and cached.
 *
 * **What these features are.** nsfwjs's MobileNetV2 (224², alpha 1.0) was
 * initialised from ImageNet and fine-tuned to sort photos into five
 * content classes. Its 1280-d penultimate layer (global average of the
 * last ReLU6 map) gives generic natural-image features. It is *not* a
 * pathology foundation model (UNI, CTransPath, Phikon …), which no
 * reachable package ships; expect weaker slide-level results than with one.
 * Bring such a model as ONNX with {@linkcode OnnxEncoder} instead.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { parseLayersModel } from "./keras_artifacts.ts";
import { kerasToOnnx } from "./keras_to_onnx.ts";
import { type EncoderDevice, OnnxEncoder } from "./onnx_encoder.ts";

/** Bumped whenever the converter's output for the same weights changes. */
const CONVERTER_REVISION = 1;
/** The Keras layer whose output is the 1280-d feature vector. */
export const MOBILENET_V2_FEATURE_LAYER = "flatten_1";

/** The nsfwjs MobileNetV2 as a tfjs LayersModel: JSON and weight bytes. */
export interface NsfwjsArtifacts {
  version: string;
  modelJson: { modelTopology: unknown; weightsManifest: unknown[] };
  weightBytes: Uint8Array;
}

/**
 * Reads the MobileNetV2 bundled in `nsfwjs` (model JSON and base64 weights
 * inside `dist/models/mobilenet_v2/*.min.js`).
 *
 * @example
 * ```ts ignore
 * import { loadNsfwjsMobileNetV2 } from "./mobilenet_v2.ts";
 * const { version, weightBytes } = await loadNsfwjsMobileNetV2();
 * ```
 */
export async function loadNsfwjsMobileNetV2(): Promise<NsfwjsArtifacts> {
  const { MobileNetV2Model } = await import("nsfwjs/models/mobilenet_v2");
  const json = unwrap(
    await MobileNetV2Model.modelJson(),
  ) as NsfwjsArtifacts["modelJson"];
  const parts: Uint8Array[] = [];
  for (const load of MobileNetV2Model.weightBundles) {
    const b64 = unwrap(await load());
    if (typeof b64 !== "string") {
      throw new TypeError(
        `Expected nsfwjs MobileNetV2 weight bundles to export base64 strings: got ${typeof b64}`,
      );
    }
    parts.push(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
  }
  const weightBytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    weightBytes.set(p, offset);
    offset += p.length;
  }
  return { version: nsfwjsVersion(), modelJson: json, weightBytes };
}

/** The cache folder: `$ASMIL_CACHE`, else `$XDG_CACHE_HOME/asmil`, else `~/.cache/asmil`. */
export function cacheDir(): string {
  const env = (k: string) => Deno.env.get(k) || undefined;
  return env("ASMIL_CACHE") ??
    join(env("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "asmil");
}

/**
 * Path of the converted ONNX model, converting and caching it on first use
 * (keyed by the nsfwjs version and the converter revision).
 *
 * @example
 * ```ts ignore
 * import { mobileNetV2OnnxPath } from "./mobilenet_v2.ts";
 * const path = await mobileNetV2OnnxPath(); // ~/.cache/asmil/mobilenet_v2-nsfwjs@4.4.0-r1.onnx
 * ```
 */
export async function mobileNetV2OnnxPath(
  dir: string = cacheDir(),
): Promise<string> {
  const path = join(
    dir,
    `mobilenet_v2-nsfwjs@${nsfwjsVersion()}-r${CONVERTER_REVISION}.onnx`,
  );
  try {
    if ((await Deno.stat(path)).size > 0) return path;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const a = await loadNsfwjsMobileNetV2();
  const bytes = kerasToOnnx(parseLayersModel(a.modelJson, a.weightBytes), {
    outputLayer: MOBILENET_V2_FEATURE_LAYER,
  });
  await Deno.mkdir(dir, { recursive: true });
  // Write-then-rename so a concurrent or interrupted run never sees half a file.
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
  return path;
}

/** Options of {@linkcode createMobileNetV2Encoder}. */
export interface MobileNetV2Options {
  /** Intra-op threads (default 2). */
  threads?: number;
  /** Where the converted model is cached (default {@linkcode cacheDir}). */
  cacheDir?: string;
  /** `"webgpu"` to run on the GPU where there is one (default `"cpu"`). */
  device?: EncoderDevice;
}

/**
 * The default encoder: nsfwjs MobileNetV2, 224² input scaled to [0, 1],
 * 1280-d generic (ImageNet-derived, not pathology) features.
 *
 * @example
 * ```ts ignore
 * import { createMobileNetV2Encoder } from "./mobilenet_v2.ts";
 * const encoder = await createMobileNetV2Encoder({ threads: 2 });
 * console.log(encoder.name, encoder.dim); // mobilenet_v2-nsfwjs@4.4.0 1280
 * await encoder.close();
 * ```
 */
export async function createMobileNetV2Encoder(
  options: MobileNetV2Options = {},
): Promise<OnnxEncoder> {
  const model = await mobileNetV2OnnxPath(options.cacheDir);
  return await OnnxEncoder.create({
    model,
    name: `mobilenet_v2-nsfwjs@${nsfwjsVersion()}`,
    inputSize: 224,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.device === undefined ? {} : { device: options.device }),
  });
}

function unwrap(mod: unknown): unknown {
  const m = mod as { default?: unknown };
  return m && typeof m === "object" && "default" in m ? m.default : mod;
}

/** The installed nsfwjs version, from the package.json above its entry. */
function nsfwjsVersion(): string {
  const resolved = import.meta.resolve("nsfwjs/models/mobilenet_v2");
  const inSpecifier = /nsfwjs@(\d+\.\d+\.\d+[^/]*)/.exec(resolved);
  if (!resolved.startsWith("file:")) {
    if (inSpecifier) return inSpecifier[1]!;
    throw new Error(`Cannot tell the nsfwjs version from ${resolved}`);
  }
  let dir = dirname(fileURLToPath(resolved));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(Deno.readTextFileSync(join(dir, "package.json")));
      if (pkg.name === "nsfwjs" && typeof pkg.version === "string") {
        return pkg.version;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  if (inSpecifier) return inSpecifier[1]!;
  throw new Error(`Cannot find the nsfwjs package.json above ${resolved}`);
}
