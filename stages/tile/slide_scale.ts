/**
 * The physical scale of a slide: microns per pixel and magnification at
 * level 0, from the file or from overrides (per slide, from a CSV, or one
 * global value), with an error naming the slide when nothing says.
 *
 * @module
 */

import type { SlideRef } from "../../core/types.ts";

/** Where a slide's MPP may come from besides the file. */
export interface ScaleOverrides {
  /** MPP for every slide, replacing what the files say. */
  mppOverride?: number;
  /** MPP per slide id, replacing the file and the global override. */
  mppBySlide?: Readonly<Record<string, number>>;
}

/** A slide's resolved scale. */
export interface SlideScale {
  mpp: number | undefined;
  magnification: number | undefined;
  /** Where the MPP came from. */
  mppSource:
    | "slide-ref"
    | "per-slide override"
    | "global override"
    | "file"
    | "none";
}

/**
 * Resolves level-0 MPP with precedence `SlideRef.mpp` > per-slide override >
 * global override > file; magnification from the file, else `10 / mpp`
 * (the usual 0.5 µm/px ≈ 20× equivalence).
 *
 * @example
 * ```ts
 * import { slideScale } from "./slide_scale.ts";
 * const s = slideScale({ id: "a", path: "a.tiff" }, { mpp: undefined, magnification: undefined }, { mppOverride: 0.25 });
 * if (s.mpp !== 0.25 || s.magnification !== 40) throw new Error();
 * ```
 */
export function slideScale(
  slide: SlideRef,
  file: { mpp: number | undefined; magnification: number | undefined },
  overrides: ScaleOverrides = {},
): SlideScale {
  const candidates: Array<[number | undefined, SlideScale["mppSource"]]> = [
    [slide.mpp, "slide-ref"],
    [overrides.mppBySlide?.[slide.id], "per-slide override"],
    [overrides.mppOverride, "global override"],
    [file.mpp, "file"],
  ];
  for (const [value, source] of candidates) {
    if (value === undefined) continue;
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Slide "${slide.id}" (${slide.path}): MPP from ${source} must be a positive number, got ${value}`,
      );
    }
    return {
      mpp: value,
      magnification: file.magnification ?? 10 / value,
      mppSource: source,
    };
  }
  return {
    mpp: undefined,
    magnification: file.magnification,
    mppSource: "none",
  };
}

/**
 * Reads a `slide_id,mpp` CSV (header required; `id` also accepted) into a
 * per-slide override map.
 */
export async function readMppCsv(
  path: string,
): Promise<Record<string, number>> {
  const lines = (await Deno.readTextFile(path)).split(/\r?\n/).filter((l) =>
    l.trim()
  );
  const header = (lines[0] ?? "").split(",").map((h) => h.trim().toLowerCase());
  const idCol = header.findIndex((h) => h === "slide_id" || h === "id");
  const mppCol = header.indexOf("mpp");
  if (idCol < 0 || mppCol < 0) {
    throw new TypeError(
      `Cannot read MPP overrides from ${path}: expected a header with "slide_id" and "mpp", found "${
        lines[0] ?? ""
      }"`,
    );
  }
  const out: Record<string, number> = {};
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(",").map((c) => c.trim());
    const mpp = Number(cells[mppCol]);
    if (!(mpp > 0)) {
      throw new RangeError(
        `Cannot read MPP overrides from ${path}: line ${i + 2} has mpp "${
          cells[mppCol]
        }", expected a positive number`,
      );
    }
    out[cells[idCol] ?? ""] = mpp;
  });
  return out;
}
