/**
 * The schema version a store is at, read from what its catalog holds rather
 * than from the number in `meta`. A store whose `meta` row was lost or
 * edited would otherwise have migrations it already has run again
 * ("Catalog Error: Table … already exists") and be unusable; with this the
 * recorded number is repaired, and a store caught between two versions is
 * refused with what it has and lacks.
 *
 * @module
 */

/** What the store's catalog holds (main schema). */
export interface Catalog {
  tables: ReadonlySet<string>;
  views: ReadonlySet<string>;
  /** `table.column` for every column of every table. */
  columns: ReadonlySet<string>;
  macros: ReadonlySet<string>;
}

/** SQL listing the catalog as `(kind, name)` rows (see {@link catalogFromRows}). */
export const CATALOG_SQL = `
SELECT 'table' AS kind, table_name AS name FROM duckdb_tables()
  WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT 'view', view_name FROM duckdb_views()
  WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
UNION ALL
SELECT 'column', table_name || '.' || column_name FROM duckdb_columns()
  WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT DISTINCT 'macro', function_name FROM duckdb_functions()
  WHERE database_name = current_database() AND schema_name = 'main'
    AND function_type IN ('macro', 'table_macro') AND NOT internal`;

/** Builds a {@link Catalog} from the rows of {@link CATALOG_SQL}. */
export function catalogFromRows(
  rows: readonly { kind: unknown; name: unknown }[],
): Catalog {
  const of = (kind: string) =>
    new Set(rows.filter((r) => r.kind === kind).map((r) => String(r.name)));
  return {
    tables: of("table"),
    views: of("view"),
    columns: of("column"),
    macros: of("macro"),
  };
}

/** One thing a migration leaves in the catalog. */
interface Mark {
  what: string;
  holds(c: Catalog): boolean;
}

const table = (name: string): Mark => ({
  what: `table ${name}`,
  holds: (c) => c.tables.has(name),
});
const relation = (name: string): Mark => ({
  what: `table or view ${name}`,
  holds: (c) => c.tables.has(name) || c.views.has(name),
});
const view = (name: string): Mark => ({
  what: `view ${name}`,
  holds: (c) => c.views.has(name),
});
const column = (name: string): Mark => ({
  what: `column ${name}`,
  holds: (c) => c.columns.has(name),
});
const macro = (name: string): Mark => ({
  what: `macro ${name}`,
  holds: (c) => c.macros.has(name),
});
const noTable = (name: string): Mark => ({
  what: `no leftover table ${name}`,
  holds: (c) => !c.tables.has(name),
});

/** What each migration (by version) leaves behind; see schema.ts. */
const MARKS: readonly (readonly Mark[])[] = [
  [
    ...[
      "slides",
      "tiles",
      "embeddings",
      "runs",
      "epochs",
      "predictions",
      "metrics",
      "failures",
    ].map(table),
    relation("attention"),
  ],
  [table("encoders")],
  [
    table("attention_history"),
    view("attention"),
    macro("attention_level"),
    column("epochs.timing"),
    noTable("embeddings_v3"),
    noTable("tiles_v3"),
    noTable("predictions_v3"),
  ],
];

/** The version {@link detectSchemaVersion} found, or why it found none. */
export type SchemaState =
  | { version: number }
  | { partial: string };

/**
 * The schema version whose migrations (and no later one's) the catalog
 * shows: 0 for an empty store. A catalog with part of a migration, or a
 * later migration's objects without an earlier one's, is `partial`, with
 * what it has and lacks.
 *
 * @example
 * ```ts
 * import { detectSchemaVersion } from "./schema_state.ts";
 * const none = new Set<string>();
 * const s = detectSchemaVersion({ tables: none, views: none, columns: none, macros: none });
 * if (!("version" in s) || s.version !== 0) throw new Error("an empty store is at 0");
 * ```
 */
export function detectSchemaVersion(c: Catalog): SchemaState {
  const tables = [...c.tables].filter((t) => t !== "meta");
  if (tables.length === 0 && c.views.size === 0) return { version: 0 };
  const held = MARKS.map((marks) => marks.map((m) => m.holds(c)));
  const lacking = (v: number) =>
    MARKS[v]!.filter((_, i) => !held[v]![i]).map((m) => m.what).join(", ");
  let version = 0;
  while (version < MARKS.length && held[version]!.every(Boolean)) version++;
  for (let v = version; v < MARKS.length; v++) {
    // "No leftover" marks hold in older stores too: only objects count.
    const present = MARKS[v]!.filter((m, i) =>
      held[v]![i] && !m.what.startsWith("no ")
    );
    if (present.length === 0) continue;
    const has = present.map((m) => m.what).join(", ");
    return {
      partial: `it has ${has} of schema version ${v + 1} but lacks ${
        lacking(version)
      }${v === version ? "" : ` of version ${version + 1}`}`,
    };
  }
  return { version };
}
