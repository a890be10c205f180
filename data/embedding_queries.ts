/**
 * The store's reads and writes of encoders and embeddings outside the bag
 * reads of data/bag_queries.ts: which model an encoder name stands for,
 * which slides an encoder embedded, one slide's stored embeddings (to
 * resume), and the Parquet export. Mixed into `Store`
 * (data/store_access.ts).
 *
 * @module
 */
import { embeddingDim, embeddingEncoders } from "./bag_queries.ts";
import { sqlString, type StoreAccessClass } from "./store_access.ts";

/** What the `encoders` table records of an encoder name. */
export interface EncoderIdentity {
  name: string;
  /** Hash of the model behind the name (`imported` for imported features). */
  fingerprint: string;
  /** Where the model came from, for a person to read. */
  source: string;
  dim: number;
}

/**
 * The statements a person can run (`asmil sql "…"`) to delete encoder
 * name `name` and its embeddings, so the name can stand for another model.
 *
 * @example
 * ```ts
 * import { forgetEncoderSql } from "./embedding_queries.ts";
 * if (!forgetEncoderSql("uni").startsWith("DELETE FROM embeddings WHERE encoder = 'uni';")) {
 *   throw new Error();
 * }
 * ```
 */
export function forgetEncoderSql(name: string): string {
  const quoted = sqlString(name);
  return `DELETE FROM embeddings WHERE encoder = ${quoted}; DELETE FROM encoders WHERE name = ${quoted};`;
}

/**
 * Adds the encoder and embedding reads and writes to a store class.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * const uni = { name: "uni", fingerprint: "3f2a", source: "uni.onnx", dim: 2 };
 * await store.recordEncoder(uni);
 * await store.transaction((tx) =>
 *   tx.replaceEmbeddings("a", "uni", [{ tile: 0, features: [0.5, 1] }])
 * );
 * if ((await store.encoderIdentity("uni"))?.source !== "uni.onnx") throw new Error();
 * if ((await store.storedEmbeddings("a", "uni")).get(0)?.[1] !== 1) throw new Error();
 * store.close();
 * ```
 */
export function withEmbeddingQueries<B extends StoreAccessClass>(Base: B) {
  abstract class EmbeddingQueries extends Base {
    /** What the store records of encoder name `name`, if anything. */
    async encoderIdentity(name: string): Promise<EncoderIdentity | undefined> {
      const [row] = await this.query(
        "SELECT fingerprint, source, dim FROM encoders WHERE name = ?",
        [name],
      );
      return row && {
        name,
        fingerprint: String(row.fingerprint),
        source: String(row.source),
        dim: Number(row.dim),
      };
    }

    /** Records (or replaces) the model encoder name `e.name` stands for. */
    async recordEncoder(e: EncoderIdentity): Promise<void> {
      await this.exec(
        `INSERT OR REPLACE INTO encoders
           (name, fingerprint, source, dim, registered_at)
         VALUES (?, ?, ?, ?, current_timestamp)`,
        [e.name, e.fingerprint, e.source, e.dim],
      );
    }

    /** Encoder names with embeddings in the store, sorted. */
    embeddingEncoders(): Promise<string[]> {
      return embeddingEncoders(this);
    }

    /** The feature dimension of `encoder`'s embeddings (0 when it has none). */
    embeddingDim(encoder: string): Promise<number> {
      return embeddingDim(this, encoder);
    }

    /** The ids of the slides with embeddings from `encoder`. */
    async embeddedSlideIds(encoder: string): Promise<Set<string>> {
      return new Set(
        (await this.query(
          "SELECT DISTINCT slide FROM embeddings WHERE encoder = ?",
          [encoder],
        )).map((r) => String(r.slide)),
      );
    }

    /** The embeddings of `slide` from `encoder`, by tile index. */
    async storedEmbeddings(
      slide: string,
      encoder: string,
    ): Promise<Map<number, Float32Array>> {
      const rows = await this.query(
        "SELECT tile, features FROM embeddings WHERE slide = ? AND encoder = ?",
        [slide, encoder],
      );
      return new Map(
        rows.map((r) => [
          Number(r.tile),
          Float32Array.from(r.features as number[]),
        ]),
      );
    }

    /** How many embeddings the store holds (from `encoder`, when given). */
    async embeddingCount(encoder?: string): Promise<number> {
      const [row] = await this.query(
        "SELECT count(*) AS n FROM embeddings WHERE $encoder IS NULL OR encoder = $encoder",
        { encoder: encoder ?? null },
      );
      return Number(row?.n ?? 0);
    }

    /**
     * Writes the embeddings (from `encoder`, when given) to the Parquet
     * file `out`, one row per tile: slide, tile, level-0 coordinates and
     * size, slide label and split, encoder and features, ordered by
     * encoder, slide and tile.
     */
    async exportEmbeddings(out: string, encoder?: string): Promise<void> {
      // COPY takes no bound parameters, hence the quoted literals.
      const filter = encoder === undefined
        ? ""
        : `WHERE e.encoder = ${sqlString(encoder)}`;
      await this.exec(
        `COPY (
           SELECT e.slide, e.tile, t.x, t.y, t.size, s.label, s.split, e.encoder, e.features
           FROM embeddings e
           LEFT JOIN tiles t ON t.slide = e.slide AND t.tile = e.tile
           LEFT JOIN slides s ON s.id = e.slide
           ${filter}
           ORDER BY e.encoder, e.slide, e.tile
         ) TO ${sqlString(out)} (FORMAT parquet)`,
      );
    }
  }
  return EmbeddingQueries;
}
