/**
 * Slide labels and splits from the formats users bring: a labels CSV
 * (`slide_id,label[,split]`, labels as class names or indices) and the
 * reference split JSON `{train_names, val_names, test_names}`.
 *
 * @module
 */
import type { Split } from "../../core/types.ts";

/** Labels of a cohort with its class names in index order. */
export interface LabelTable {
  /** Class names; index = class index. */
  classes: string[];
  /** Slide id → class index. */
  labels: Map<string, number>;
  /** Slide id → split, when the CSV has a `split` column. */
  splits: Map<string, Split>;
}

const SPLITS: readonly Split[] = ["train", "val", "test"];

/** Splits a CSV line, honouring double quotes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

/** One slide's row of a labels CSV, as written. */
export interface LabelRow {
  label: string;
  split?: Split;
}

/**
 * Parses a labels CSV into its rows. The header must name a slide column
 * (`slide_id`, `slide` or `id`) and `label`; an optional `split` column
 * gives splits; other columns are ignored. Errors name the file and line.
 *
 * @example
 * ```ts
 * import { parseLabelRows } from "./labels.ts";
 * const rows = parseLabelRows('case_id,slide_id,label\nc1,"s,1",tumor\n', "labels.csv");
 * if (rows.get("s,1")?.label !== "tumor") throw new Error();
 * ```
 */
export function parseLabelRows(
  text: string,
  source: string,
): Map<string, LabelRow> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = csvCells(lines[0] ?? "").map((h) => h.toLowerCase());
  const idCol = header.findIndex((h) =>
    ["slide_id", "slide", "id"].includes(h)
  );
  const labelCol = header.indexOf("label");
  const splitCol = header.indexOf("split");
  if (idCol < 0 || labelCol < 0) {
    throw new Error(
      `Labels file ${source} needs a header with "slide_id" and "label" columns: found "${
        lines[0] ?? ""
      }"`,
    );
  }
  const rows = new Map<string, LabelRow>();
  lines.slice(1).forEach((line, i) => {
    const cells = csvCells(line);
    const id = cells[idCol] ?? "", label = cells[labelCol] ?? "";
    const where = `${source} line ${i + 2}`;
    if (!id) throw new Error(`${where}: empty slide id`);
    if (!label) throw new Error(`${where}: slide "${id}" has no label`);
    if (rows.has(id)) throw new Error(`${where}: duplicate slide id "${id}"`);
    const split = splitCol >= 0 ? cells[splitCol] ?? "" : "";
    if (split !== "" && !(SPLITS as readonly string[]).includes(split)) {
      throw new Error(
        `${where}: slide "${id}" has split "${split}", expected one of ${
          SPLITS.join(", ")
        }`,
      );
    }
    rows.set(id, split ? { label, split: split as Split } : { label });
  });
  return rows;
}

/** Reads a labels CSV file into its rows (see {@link parseLabelRows}). */
export async function readLabelRows(
  path: string,
): Promise<Map<string, LabelRow>> {
  return parseLabelRows(await Deno.readTextFile(path), path);
}

/**
 * Parses a labels CSV into class indices (see {@link parseLabelRows} for
 * the format). Integer labels are class indices; otherwise class names are
 * indexed in sorted order unless `classes` fixes the order.
 *
 * @example
 * ```ts
 * import { parseLabelsCsv } from "./labels.ts";
 * const t = parseLabelsCsv("slide_id,label\na,tumor\nb,normal\n", "labels.csv");
 * if (t.labels.get("a") !== 1 || t.classes.join() !== "normal,tumor") throw new Error();
 * ```
 */
export function parseLabelsCsv(
  text: string,
  source: string,
  classes?: readonly string[],
): LabelTable {
  const rows = parseLabelRows(text, source);
  const splits = new Map<string, Split>();
  for (const [id, row] of rows) if (row.split) splits.set(id, row.split);
  const { classes: names, labels } = indexLabels(
    new Map([...rows].map(([id, r]) => [id, r.label])),
    source,
    classes,
  );
  return { classes: names, labels, splits };
}

/**
 * Maps raw labels to class indices: integers are indices, names are
 * indexed in sorted order unless `classes` fixes the order. At least two
 * classes are required.
 */
export function indexLabels(
  raw: ReadonlyMap<string, string>,
  source: string,
  classes?: readonly string[],
): { classes: string[]; labels: Map<string, number> } {
  const values = [...new Set(raw.values())];
  const numeric = !classes && values.every((v) => /^\d+$/.test(v));
  const names = classes ? [...classes] : numeric
    ? Array.from(
      { length: Math.max(...values.map(Number)) + 1 },
      (_, i) => String(i),
    )
    : values.sort();
  const labels = new Map<string, number>();
  for (const [id, value] of raw) {
    const index = names.indexOf(value);
    if (index < 0) {
      throw new Error(
        `${source}: slide "${id}" has unknown label "${value}", expected one of ${
          names.join(", ")
        }`,
      );
    }
    labels.set(id, index);
  }
  if (names.length < 2) {
    throw new Error(
      `${source}: need at least 2 classes to train a classifier: found ${names.length} (${
        names.join(", ")
      })`,
    );
  }
  return { classes: names, labels };
}

/** Reads a labels CSV file (see {@link parseLabelsCsv}). */
export async function readLabelsCsv(
  path: string,
  classes?: readonly string[],
): Promise<LabelTable> {
  return parseLabelsCsv(await Deno.readTextFile(path), path, classes);
}

/**
 * Parses the reference split JSON `{train_names, val_names, test_names}`;
 * a slide in two lists is an error.
 */
export function parseSplitJson(
  text: string,
  source: string,
): Map<string, Split> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `Split file ${source} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const out = new Map<string, Split>();
  for (const split of SPLITS) {
    const names = json[`${split}_names`];
    if (!Array.isArray(names)) {
      throw new Error(
        `Split file ${source} needs an array "${split}_names": found ${
          names === undefined ? "nothing" : typeof names
        }`,
      );
    }
    for (const name of names) {
      const id = String(name);
      const before = out.get(id);
      if (before) {
        throw new Error(
          `Split file ${source}: slide "${id}" is in both ${before}_names and ${split}_names`,
        );
      }
      out.set(id, split);
    }
  }
  return out;
}

/**
 * Copies each slide's label and split from `table` onto its ref (slides the
 * table lacks are left as they are).
 *
 * @example
 * ```ts
 * import { labelSlides, parseLabelsCsv } from "./labels.ts";
 * const t = parseLabelsCsv("slide_id,label\na,0\nb,1\n", "l.csv");
 * const [a] = labelSlides([{ id: "a", path: "a.tiff" }], t);
 * if (a?.label !== 0) throw new Error();
 * ```
 */
export function labelSlides<T extends { id: string }>(
  slides: readonly T[],
  table: LabelTable,
): (T & { label?: number; split?: Split })[] {
  return slides.map((s) => {
    const label = table.labels.get(s.id);
    const split = table.splits.get(s.id);
    return {
      ...s,
      ...(label === undefined ? {} : { label }),
      ...(split === undefined ? {} : { split }),
    };
  });
}

/** Edit distance of two short strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** Slides per class, as `name (n)`. */
export function classCounts(table: LabelTable): string {
  const counts = table.classes.map(() => 0);
  for (const c of table.labels.values()) counts[c] = (counts[c] ?? 0) + 1;
  return table.classes.map((name, i) => `${name} (${counts[i]})`).join(", ");
}

/**
 * Refuses class names that look like one class spelt two ways (equal up to
 * case and punctuation, or one edit apart when both have at least 4
 * letters: `tumor` / `tumour`), which would silently train a model with an
 * extra class; the message gives the slides per class.
 *
 * @example
 * ```ts
 * import { checkClassNames, parseLabelsCsv } from "./labels.ts";
 * const t = parseLabelsCsv("slide_id,label\na,tumour\nb,normal\nc,tumor\n", "l.csv");
 * let refused = false;
 * try { checkClassNames(t, "l.csv"); } catch { refused = true; }
 * if (!refused) throw new Error("tumor/tumour accepted");
 * ```
 */
export function checkClassNames(table: LabelTable, source: string): void {
  const key = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  const names = table.classes;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [key(names[i]!), key(names[j]!)];
      const close = a === b ||
        (a.length >= 4 && b.length >= 4 && editDistance(a, b) <= 1);
      if (close) {
        throw new Error(
          `${source}: classes "${names[i]}" and "${
            names[j]
          }" look like one class spelt two ways; fix the labels (slides per class: ${
            classCounts(table)
          })`,
        );
      }
    }
  }
}
