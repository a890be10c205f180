/**
 * One encoder name, one model. Embeddings are stored (and resumed) under
 * an encoder name; the `encoders` table records which model that name
 * stands for (its fingerprint, source and dimension), so embedding again
 * under the same name with another model — a retrained or replaced ONNX
 * file, other preprocessing — fails with a clear error instead of mixing
 * the two models' features in one cohort.
 *
 * @module
 */
import type { Store } from "../../data/store.ts";

/** What the registry records of an encoder. */
export interface EncoderIdentity {
  name: string;
  fingerprint: string;
  source: string;
  dim: number;
}

/** Fingerprint recorded for features imported from files (no model known). */
export const IMPORTED_FINGERPRINT = "imported";

/**
 * Records `e` as the model behind its name in `store`, or checks that the
 * name already stands for the same model; throws saying what differs and
 * how to proceed otherwise. Embeddings stored before the registry existed
 * are checked by dimension only.
 *
 * @example
 * ```ts ignore
 * await claimEncoderName(store, { name: "uni", fingerprint: "3f2a…", source: "models/uni.onnx", dim: 1024 });
 * ```
 */
export async function claimEncoderName(
  store: Store,
  e: EncoderIdentity,
): Promise<void> {
  const [row] = await store.query(
    "SELECT fingerprint, source, dim FROM encoders WHERE name = ?",
    [e.name],
  );
  const remedy =
    `Store these features under another name (\`asmil embed --name\`, \`asmil import-features --encoder\`), or delete the old ones first: ` +
    `DELETE FROM embeddings WHERE encoder = '${e.name}'; DELETE FROM encoders WHERE name = '${e.name}';`;
  if (row) {
    if (row.fingerprint === e.fingerprint && Number(row.dim) === e.dim) return;
    const stored = await store.query(
      "SELECT count(DISTINCT slide) AS n FROM embeddings WHERE encoder = ?",
      [e.name],
    );
    const slides = Number(stored[0]?.n ?? 0);
    if (slides === 0) {
      await store.exec(
        "UPDATE encoders SET fingerprint = ?, source = ?, dim = ?, registered_at = current_timestamp WHERE name = ?",
        [e.fingerprint, e.source, e.dim, e.name],
      );
      return;
    }
    throw new Error(
      `Encoder name "${e.name}" stands for another model in ${store.path}: ` +
        `${slides} slide(s) were embedded with ${row.source} (fingerprint ${row.fingerprint}, ${row.dim} features), ` +
        `this encoder is ${e.source} (fingerprint ${e.fingerprint}, ${e.dim} features). ${remedy}`,
    );
  }
  const [old] = await store.query(
    "SELECT len(features) AS d FROM embeddings WHERE encoder = ? LIMIT 1",
    [e.name],
  );
  if (old && Number(old.d) !== e.dim) {
    throw new Error(
      `Encoder name "${e.name}" has ${old.d}-dimensional embeddings in ${store.path}, ` +
        `but ${e.source} gives ${e.dim} features. ${remedy}`,
    );
  }
  await store.exec(
    "INSERT INTO encoders (name, fingerprint, source, dim) VALUES (?, ?, ?, ?)",
    [e.name, e.fingerprint, e.source, e.dim],
  );
}
