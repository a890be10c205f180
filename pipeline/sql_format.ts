/**
 * Formats query rows for the terminal (`table`), spreadsheets (`csv`) and
 * programs (`json`).
 *
 * @module
 */
import type { Row } from "../data/store.ts";

/** Output formats of `asmil sql`. */
export type SqlFormat = "table" | "csv" | "json";

/** Long lists are shortened to this many items in table cells. */
const LIST_PREVIEW = 6;

function cell(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (Array.isArray(value)) {
    const shown = value.slice(0, LIST_PREVIEW).map(cell);
    if (value.length > LIST_PREVIEW) shown.push(`… (${value.length} items)`);
    return `[${shown.join(", ")}]`;
  }
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? String(value)
      : String(+value.toPrecision(6));
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(toJson(value));
  return String(value);
}

function toJson(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) {
    return String(value);
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, toJson(v)]),
    );
  }
  return value;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = Array.isArray(value) || (typeof value === "object" &&
      !(value instanceof Date))
    ? JSON.stringify(toJson(value))
    : value instanceof Date
    ? value.toISOString()
    : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Renders rows with their column names (kept even when there are no rows).
 *
 * @example
 * ```ts
 * import { formatRows } from "./sql_format.ts";
 * const text = formatRows([{ answer: 42 }], ["answer"], "table");
 * if (!text.includes("42")) throw new Error("value missing");
 * ```
 */
export function formatRows(
  rows: readonly Row[],
  columns: readonly string[],
  format: SqlFormat,
): string {
  switch (format) {
    case "json":
      return JSON.stringify(rows.map(toJson), null, 2) + "\n";
    case "csv":
      return [
        columns.map(csvField).join(","),
        ...rows.map((r) => columns.map((c) => csvField(r[c])).join(",")),
      ].join("\n") + "\n";
    case "table": {
      const body = rows.map((r) => columns.map((c) => cell(r[c])));
      const widths = columns.map((c, i) =>
        Math.max(c.length, ...body.map((line) => (line[i] as string).length))
      );
      const line = (cells: readonly string[]) =>
        "│ " + cells.map((x, i) => x.padEnd(widths[i] as number)).join(" │ ") +
        " │";
      const rule = (l: string, m: string, r: string) =>
        l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
      return [
        rule("┌", "┬", "┐"),
        line(columns),
        rule("├", "┼", "┤"),
        ...body.map(line),
        rule("└", "┴", "┘"),
        `${rows.length} row${rows.length === 1 ? "" : "s"}`,
      ].join("\n") + "\n";
    }
  }
}
