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
import {
  type EncoderIdentity,
  forgetEncoderSql,
} from "../../data/embedding_queries.ts";

export type { EncoderIdentity } from "../../data/embedding_queries.ts";

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
  const row = await store.encoderIdentity(e.name);
  const remedy =
    `Store these features under another name (\`asmil embed --name\`, \`asmil import-features --encoder\`), or delete the old ones first: ` +
    forgetEncoderSql(e.name);
  if (row) {
    if (row.fingerprint === e.fingerprint && row.dim === e.dim) return;
    const slides = (await store.embeddedSlideIds(e.name)).size;
    if (slides === 0) {
      await store.recordEncoder(e);
      return;
    }
    throw new Error(
      `Encoder name "${e.name}" stands for another model in ${store.path}: ` +
        `${slides} slide(s) were embedded with ${row.source} (fingerprint ${row.fingerprint}, ${row.dim} features), ` +
        `this encoder is ${e.source} (fingerprint ${e.fingerprint}, ${e.dim} features). ${remedy}`,
    );
  }
  const old = await store.embeddingDim(e.name);
  if (old > 0 && old !== e.dim) {
    throw new Error(
      `Encoder name "${e.name}" has ${old}-dimensional embeddings in ${store.path}, ` +
        `but ${e.source} gives ${e.dim} features. ${remedy}`,
    );
  }
  await store.recordEncoder(e);
}
