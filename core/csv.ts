/**
 * Plain CSV as this project writes and reads it: comma-separated cells
 * without quoting, one row per line, blank lines skipped, cells trimmed.
 *
 * @module
 */

/**
 * The rows of `text`, each a list of trimmed cells.
 *
 * @example
 * ```ts
 * import { csvRows } from "./csv.ts";
 * const rows = csvRows("a, b\r\n\n1,2\n");
 * if (rows.length !== 2 || rows[0]![1] !== "b" || rows[1]![0] !== "1") throw new Error();
 * ```
 */
export function csvRows(text: string): string[][] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "").map((l) =>
    l.split(",").map((c) => c.trim())
  );
}

/**
 * The rows of `text` after its header, each as a record keyed by the
 * header's names (a missing cell is `""`).
 *
 * @example
 * ```ts
 * import { csvRecords } from "./csv.ts";
 * const [r] = csvRecords("model,auc\nabmil,0.9\n");
 * if (r!.model !== "abmil" || r!.auc !== "0.9") throw new Error();
 * ```
 */
export function csvRecords(text: string): Record<string, string>[] {
  const [keys = [], ...rows] = csvRows(text);
  return rows.map((cells) =>
    Object.fromEntries(keys.map((k, i) => [k, cells[i] ?? ""]))
  );
}
