/**
 * Feature files in the layouts `import-features` reads, for tests and
 * benches: a CLAM folder (one `.h5` per slide with `features` float32
 * [N, D] and `coords` int32 [N, 2]) and an ACMIL single file (a group per
 * slide with `feat` float16 or float32 [N, D], `coords` and the attribute
 * `label`). Features are uniform in [-2, 2), a fixed function of seed,
 * slide and shape, so a test can compare what was stored with
 * {@linkcode fixtureFeatures}.
 *
 * @module
 */

import { Rng } from "../core/random.ts";
import { writeH5File } from "../stages/embed/h5_file.ts";

/** Shape and seed of a generated cohort. */
export interface FeatureCohortOptions {
  slides: number;
  tiles: number;
  dim: number;
  /** Default 1. */
  seed?: number;
}

/** The id of generated slide `i`. */
export function fixtureSlideId(i: number): string {
  return `slide_${String(i).padStart(3, "0")}`;
}

/**
 * Features of generated slide `slide`: `tiles × dim` floats.
 *
 * @example
 * ```ts
 * import { fixtureFeatures } from "./h5_fixtures.ts";
 * const a = fixtureFeatures(0, 2, 3), b = fixtureFeatures(0, 2, 3);
 * if (a.length !== 6 || a.some((v, i) => v !== b[i])) throw new Error();
 * ```
 */
export function fixtureFeatures(
  slide: number,
  tiles: number,
  dim: number,
  seed = 1,
): Float32Array {
  const bits = new Rng(seed * 100_003 + slide).fillUint32(
    new Uint32Array(tiles * dim),
  );
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! / 2 ** 30 - 2;
  return out;
}

/** Tile coordinates of a generated slide: a 256-px raster, 100 tiles wide. */
export function fixtureCoords(tiles: number): Int32Array {
  const out = new Int32Array(2 * tiles);
  for (let t = 0; t < tiles; t++) {
    out[2 * t] = 256 * (t % 100);
    out[2 * t + 1] = 256 * Math.floor(t / 100);
  }
  return out;
}

/**
 * Writes `<dir>/slide_000.h5`, … in the CLAM layout and returns their paths.
 *
 * @example
 * ```ts ignore
 * import { writeClamFolder } from "./h5_fixtures.ts";
 * const files = await writeClamFolder("feats", { slides: 8, tiles: 10_000, dim: 1024 });
 * ```
 */
export async function writeClamFolder(
  dir: string,
  options: FeatureCohortOptions,
): Promise<string[]> {
  const { slides, tiles, dim, seed = 1 } = options;
  await Deno.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let s = 0; s < slides; s++) {
    const file = `${dir}/${fixtureSlideId(s)}.h5`;
    await writeH5File(file, (f) => {
      f.create_dataset({
        name: "features",
        data: fixtureFeatures(s, tiles, dim, seed),
        shape: [tiles, dim],
      });
      const coords = f.create_dataset({
        name: "coords",
        data: fixtureCoords(tiles),
        shape: [tiles, 2],
      });
      coords.create_attribute("patch_size", 256);
      coords.create_attribute("patch_level", 0);
    });
    files.push(file);
  }
  return files;
}

/** Options of {@linkcode writeAcmilFile}. */
export interface AcmilFileOptions extends FeatureCohortOptions {
  /** Store `feat` as float16, as ACMIL does (default true; needs an even `dim`). */
  float16?: boolean;
}

/**
 * Writes one ACMIL-layout `.h5` with a group per slide (label `i % 2`) and
 * returns the slide ids. float16 features are the float32 ones rounded.
 *
 * @example
 * ```ts ignore
 * import { writeAcmilFile } from "./h5_fixtures.ts";
 * await writeAcmilFile("cohort.h5", { slides: 8, tiles: 10_000, dim: 1024 });
 * ```
 */
export async function writeAcmilFile(
  path: string,
  options: AcmilFileOptions,
): Promise<string[]> {
  const { slides, tiles, dim, seed = 1, float16 = true } = options;
  if (float16 && dim % 2 !== 0) {
    throw new RangeError(
      `Cannot write float16 ACMIL features of odd width: current dim is ${dim}`,
    );
  }
  const ids = Array.from({ length: slides }, (_, s) => fixtureSlideId(s));
  await writeH5File(path, (f) => {
    ids.forEach((id, s) => {
      const g = f.create_group(id);
      const feats = fixtureFeatures(s, tiles, dim, seed);
      g.create_dataset(
        float16
          ? {
            // float16 bits in float32 words; patched to float16 below
            name: "feat",
            data: new Float32Array(new Float16Array(feats).buffer),
            shape: [tiles, dim / 2],
          }
          : { name: "feat", data: feats, shape: [tiles, dim] },
      );
      g.create_dataset({
        name: "coords",
        data: fixtureCoords(tiles),
        shape: [tiles, 2],
      });
      g.create_attribute("label", s % 2);
    });
  }, { libver: ["earliest", "latest"] });
  if (float16) await float32ToFloat16(path);
  return ids;
}

/** A little-endian IEEE float32 datatype message body (HDF5 format spec §IV.A.2.d). */
const FLOAT32_TYPE = [
  0x11,
  0x20,
  0x1f,
  0x00,
  4,
  0,
  0,
  0,
  0,
  0,
  32,
  0,
  23,
  8,
  0,
  23,
  127,
  0,
  0,
  0,
];
/** The same for float16: sign bit 15, size 2, exponent 10+5, mantissa 10, bias 15. */
const FLOAT16_TYPE = [
  0x11,
  0x20,
  0x0f,
  0x00,
  2,
  0,
  0,
  0,
  0,
  0,
  16,
  0,
  10,
  5,
  0,
  10,
  15,
  0,
  0,
  0,
];

/**
 * h5wasm cannot create float16 datasets, so the fixture writes the float16
 * bits as float32 [N, D/2] in version-1 object headers (no checksums) and
 * rewrites, for every float32 dataset of the file, its datatype message to
 * float16 and its dataspace (the message just before) to [N, D]: the
 * contiguous storage is then exactly the N·D halves.
 */
async function float32ToFloat16(path: string): Promise<void> {
  using file = await Deno.open(path, { read: true, write: true });
  const size = (await file.stat()).size;
  const step = 8 * 2 ** 20, back = 64;
  const patches: { at: number; bytes: Uint8Array }[] = [];
  const buf = new Uint8Array(step + 2 * back);
  for (let base = 0; base < size; base += step) {
    // Bytes [from, from + len) cover matches starting in [base, base + step)
    // with their dataspace 48 bytes before.
    const from = Math.max(0, base - back);
    const len = Math.min(buf.length, size - from);
    await file.seek(from, Deno.SeekMode.Start);
    for (let done = 0; done < len;) {
      const n = await file.read(buf.subarray(done, len));
      if (n === null) throw new Error(`${path}: shorter than ${size} bytes`);
      done += n;
    }
    const view = new DataView(buf.buffer, 0, len);
    const last = Math.min(len - FLOAT32_TYPE.length, base + step - 1 - from);
    for (let p = Math.max(48, base - from); p <= last; p++) {
      if (buf[p] !== 0x11 || buf[p + 2] !== 0x1f) continue;
      if (!FLOAT32_TYPE.every((b, i) => buf[p + i] === b)) continue;
      const space = p - 48; // dataspace body: version 1, rank 2, max dims
      if (buf[space] !== 1 || buf[space + 1] !== 2 || buf[space + 2] !== 1) {
        throw new Error(
          `${path}: a float32 datatype at byte ${
            from + p
          } is not preceded by a rank-2 dataspace`,
        );
      }
      const dims = buf.slice(space, space + 40);
      const d = new DataView(dims.buffer);
      for (const at of [16, 32]) {
        d.setBigUint64(at, 2n * view.getBigUint64(space + at, true), true);
      }
      patches.push({ at: from + space, bytes: dims });
      patches.push({ at: from + p, bytes: Uint8Array.from(FLOAT16_TYPE) });
    }
  }
  for (const { at, bytes } of patches) {
    await file.seek(at, Deno.SeekMode.Start);
    for (let done = 0; done < bytes.length;) {
      done += await file.write(bytes.subarray(done));
    }
  }
}
