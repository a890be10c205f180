/**
 * Slides to tile from a folder or a CSV, as `SlideRef`s.
 *
 * @module
 */

import { basename, dirname, extname, isAbsolute, join } from "node:path";
import type { SlideRef, Split } from "../../core/types.ts";
import { pathExists } from "../../core/path_exists.ts";
import { csvRows } from "../../core/csv.ts";

/** File extensions taken for slides when listing a folder. */
export const SLIDE_EXTENSIONS: readonly string[] = [
  ".svs",
  ".tif",
  ".tiff",
  ".ndpi",
  ".mrxs",
  ".scn",
  ".vms",
  ".vmu",
  ".bif",
  ".svslide",
];

const SPLITS = new Set(["train", "val", "test"]);

/**
 * Reads a slide CSV: a header with `slide_id` (or `id`) and optionally
 * `path` (or `slide_path`), `label`, `split`, `mpp`. Relative paths are
 * resolved against the CSV's folder; without a path column the slide is
 * looked up as `<folder>/<slide_id>.<ext>` for the known extensions.
 */
export async function readSlideCsv(csvPath: string): Promise<SlideRef[]> {
  const rows = csvRows(await Deno.readTextFile(csvPath));
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const col = (...names: string[]) =>
    header.findIndex((h) => names.includes(h));
  const idCol = col("slide_id", "id");
  const pathCol = col("path", "slide_path", "file");
  if (idCol < 0 && pathCol < 0) {
    throw new TypeError(
      `Cannot read slides from ${csvPath}: expected a header with "slide_id" or "path", found "${
        rows[0]?.join(",") ?? ""
      }"`,
    );
  }
  const labelCol = col("label"), splitCol = col("split"), mppCol = col("mpp");
  const dir = dirname(csvPath);
  const slides: SlideRef[] = [];
  for (const [i, cells] of rows.slice(1).entries()) {
    const given = pathCol >= 0 ? cells[pathCol] : undefined;
    let path = given
      ? (isAbsolute(given) ? given : join(dir, given))
      : undefined;
    const id = (idCol >= 0 ? cells[idCol] : undefined) ||
      basename(path ?? "", extname(path ?? ""));
    if (!path) {
      path = join(dir, id);
      for (const ext of SLIDE_EXTENSIONS) {
        if (await pathExists(join(dir, id + ext))) {
          path = join(dir, id + ext);
          break;
        }
      }
    }
    const slide: SlideRef = { id, path };
    const label = labelCol >= 0 ? cells[labelCol] : undefined;
    if (label) slide.label = /^-?\d+$/.test(label) ? Number(label) : label;
    const split = splitCol >= 0 ? cells[splitCol] : undefined;
    if (split) {
      if (!SPLITS.has(split)) {
        throw new RangeError(
          `Cannot read slides from ${csvPath}: line ${
            i + 2
          } has split "${split}", expected train, val or test`,
        );
      }
      slide.split = split as Split;
    }
    const mpp = mppCol >= 0 ? cells[mppCol] : undefined;
    if (mpp) slide.mpp = Number(mpp);
    slides.push(slide);
  }
  return slides;
}

/** An entry of a slide folder that looks like a slide but is not taken. */
export interface SkippedEntry {
  /** Path of the entry. */
  path: string;
  /** Why it is not a slide, for a person to read. */
  reason: string;
}

/** Options of {@link listSlides}. */
export interface ListSlidesOptions {
  /**
   * Called for each entry of a folder named like a slide (a slide
   * extension) that is not a slide file: a folder, a broken link, a special
   * file. Such entries are never tiled; this says so instead of dropping
   * them silently.
   */
  onSkip?: (entry: SkippedEntry) => void;
}

/** Why a folder entry named like a slide is no slide file, or undefined when it is one. */
async function notASlideFile(
  path: string,
  entry: Deno.DirEntry,
): Promise<string | undefined> {
  if (entry.isFile) return undefined;
  if (entry.isDirectory) return "a folder, not a slide file";
  let target: Deno.FileInfo;
  try {
    target = await Deno.stat(path); // follows links
  } catch {
    return "a link whose target does not exist";
  }
  if (target.isFile) return undefined;
  return target.isDirectory
    ? "a link to a folder, not a slide file"
    : "not a regular file";
}

/**
 * The slides in a folder (known slide extensions, sorted by name; labels
 * and splits from `labels.csv` there when present) or listed in a CSV file.
 * Links to slide files are followed; entries named like slides that are not
 * files are reported to `onSkip`.
 *
 * @example
 * ```ts ignore
 * import { listSlides } from "./slide_list.ts";
 * const slides = await listSlides("out/synthetic", {
 *   onSkip: (e) => console.error(`skipped ${e.path}: ${e.reason}`),
 * }); // [{ id: "synth_000", path: …, label: 1 }, …]
 * ```
 */
export async function listSlides(
  source: string,
  options: ListSlidesOptions = {},
): Promise<SlideRef[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(source);
  } catch (cause) {
    throw new Error(
      `Cannot list slides: expected a folder or CSV file at ${source}, but it does not exist`,
      { cause },
    );
  }
  if (info.isFile) return readSlideCsv(source);
  const names: string[] = [];
  const skipped: SkippedEntry[] = [];
  for await (const entry of Deno.readDir(source)) {
    if (!SLIDE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) {
      continue;
    }
    const path = join(source, entry.name);
    const reason = await notASlideFile(path, entry);
    if (reason === undefined) names.push(entry.name);
    else skipped.push({ path, reason });
  }
  names.sort();
  skipped.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  for (const entry of skipped) options.onSkip?.(entry);
  const known = new Map<string, SlideRef>();
  if (await pathExists(join(source, "labels.csv"))) {
    for (const s of await readSlideCsv(join(source, "labels.csv"))) {
      known.set(s.id, s);
    }
  }
  return names.map((name) => {
    const id = basename(name, extname(name));
    return { ...known.get(id), id, path: join(source, name) };
  });
}
