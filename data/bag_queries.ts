/**
 * The store reads behind bags: which encoders have embeddings, their
 * width, and one slide's embeddings, coordinates and tile
 * labels, read column-wise out of DuckDB's vectors (about 40 MB per slide
 * of 10,000 × 1024 floats in one copy per chunk).
 *
 * @module
 */
import type { StoreAccess } from "./store_access.ts";
import { copyFloatLists, copyNumbers } from "./column_reader.ts";

/** Encoder names with embeddings in the store, sorted. */
export async function embeddingEncoders(store: StoreAccess): Promise<string[]> {
  return (await store.query(
    "SELECT DISTINCT encoder FROM embeddings ORDER BY 1",
  )).map((r) => String(r.encoder));
}

/** The feature dimension of `encoder`'s embeddings (0 when it has none). */
export async function embeddingDim(
  store: StoreAccess,
  encoder: string,
): Promise<number> {
  const [row] = await store.query(
    "SELECT len(features) AS dim FROM embeddings WHERE encoder = ? LIMIT 1",
    [encoder],
  );
  return Number(row?.dim ?? 0);
}

/** One slide's embeddings in tile order. */
export interface SlideEmbeddings {
  /** Tile indices, ascending. */
  tiles: Int32Array;
  /** Row-major `[tiles.length, dim]`. */
  features: Float32Array;
}

/**
 * Reads the `n` embeddings of `slide` from `encoder`, each of `dim`
 * values, in tile order. A different count or length is an error naming
 * the slide (the store changed since `n` was read).
 */
export async function slideEmbeddings(
  store: StoreAccess,
  slide: string,
  encoder: string,
  n: number,
  dim: number,
): Promise<SlideEmbeddings> {
  const tiles = new Int32Array(n);
  const features = new Float32Array(n * dim);
  const what = `the embeddings of slide "${slide}" (encoder ${encoder})`;
  const rows = await store.eachChunk(
    "SELECT tile, features FROM embeddings WHERE slide = ? AND encoder = ?",
    [slide, encoder],
    (chunk, at) => {
      if (at + chunk.rowCount > n) return;
      copyNumbers(chunk, 0, tiles, at, what);
      copyFloatLists(chunk, 1, dim, features, at, what);
    },
  );
  if (rows !== n) {
    throw new Error(`Expected ${n} rows in ${what}: found ${rows}`);
  }
  // Rows come back in insertion order, which is tile order for everything
  // the stages write; sort otherwise.
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = tiles[i - 1]! < tiles[i]!;
  return sorted ? { tiles, features } : byTile(tiles, features, dim);
}

function byTile(
  tiles: Int32Array,
  features: Float32Array,
  dim: number,
): SlideEmbeddings {
  const order = Array.from(tiles.keys()).sort((a, b) => tiles[a]! - tiles[b]!);
  const sortedFeatures = new Float32Array(features.length);
  order.forEach((from, to) =>
    sortedFeatures.set(
      features.subarray(from * dim, (from + 1) * dim),
      to * dim,
    )
  );
  return {
    tiles: Int32Array.from(order, (i) => tiles[i]!),
    features: sortedFeatures,
  };
}

/** Coordinates and ground-truth labels of some tiles of one slide. */
export interface SlideTiles {
  /** Row-major `[n, 2]` level-0 coordinates; 0, 0 for tiles not in `tiles`. */
  coords: Int32Array;
  /** Tile labels, -1 where unknown. */
  labels: Int8Array;
  /** Whether any of the tiles has a label. */
  labelled: boolean;
}

/** The `tiles` rows of `slide` for tile indices `tiles` (ascending). */
export async function slideTiles(
  store: StoreAccess,
  slide: string,
  tiles: Int32Array,
): Promise<SlideTiles> {
  const n = tiles.length;
  const position = new Map<number, number>();
  tiles.forEach((t, i) => position.set(t, i));
  const coords = new Int32Array(2 * n);
  const labels = new Int8Array(n).fill(-1);
  let labelled = false;
  // One DuckDB chunk holds at most 2,048 rows.
  const index = new Int32Array(2048), x = new Float64Array(2048);
  const y = new Float64Array(2048), label = new Float64Array(2048);
  await store.eachChunk(
    `SELECT tile, x, y, coalesce(label, -1) AS label FROM tiles
     WHERE slide = ?`,
    [slide],
    (chunk) => {
      const what = `the tiles of slide "${slide}"`;
      copyNumbers(chunk, 0, index, 0, what);
      copyNumbers(chunk, 1, x, 0, what);
      copyNumbers(chunk, 2, y, 0, what);
      copyNumbers(chunk, 3, label, 0, what);
      for (let r = 0; r < chunk.rowCount; r++) {
        const i = position.get(index[r]!);
        if (i === undefined) continue;
        coords[2 * i] = x[r]!;
        coords[2 * i + 1] = y[r]!;
        labels[i] = label[r]!;
        if (label[r]! >= 0) labelled = true;
      }
    },
  );
  return { coords, labels, labelled };
}
