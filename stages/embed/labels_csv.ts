/**
 * Reads a slide labels CSV as CLAM and most MIL code bases write it: a header
 * with a slide column (`slide_id` or `slide`), `label`, and optionally
 * `split` (and anything else, ignored).
 *
 * @module
 */

/** The label (and split) of one slide. */
export interface SlideLabel {
  label: string;
  split?: string;
}

/**
 * Parses `text` (the CSV contents); `source` names it in errors.
 *
 * @example
 * ```ts
 * import { parseLabelsCsv } from "./labels_csv.ts";
 * const labels = parseLabelsCsv("case_id,slide_id,label\nc1,s1,tumor\n", "labels.csv");
 * if (labels.get("s1")?.label !== "tumor") throw new Error("label not read");
 * ```
 */
export function parseLabelsCsv(
  text: string,
  source: string,
): Map<string, SlideLabel> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = splitLine(lines[0] ?? "").map((h) => h.trim().toLowerCase());
  const slideCol = header.findIndex((h) => h === "slide_id" || h === "slide");
  const labelCol = header.indexOf("label");
  const splitCol = header.indexOf("split");
  if (slideCol < 0 || labelCol < 0) {
    throw new Error(
      `${source} needs a header with "slide_id" (or "slide") and "label" columns: current header is "${
        lines[0] ?? ""
      }"`,
    );
  }
  const labels = new Map<string, SlideLabel>();
  lines.slice(1).forEach((line, i) => {
    const cells = splitLine(line);
    const id = cells[slideCol]?.trim(), label = cells[labelCol]?.trim();
    if (!id || label === undefined || label === "") {
      throw new Error(
        `${source} line ${i + 2} lacks a slide id or label: "${line}"`,
      );
    }
    if (labels.has(id)) {
      throw new Error(`${source} lists slide ${id} twice (line ${i + 2})`);
    }
    const split = cells[splitCol]?.trim();
    labels.set(id, split ? { label, split } : { label });
  });
  return labels;
}

/** Reads and parses the labels CSV at `path`. */
export async function readLabelsCsv(
  path: string,
): Promise<Map<string, SlideLabel>> {
  return parseLabelsCsv(await Deno.readTextFile(path), path);
}

/** Splits one CSV line, honouring double-quoted cells. */
function splitLine(line: string): string[] {
  const cells: string[] = [];
  let cell = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') cell += '"', i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") cells.push(cell), cell = "";
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}
