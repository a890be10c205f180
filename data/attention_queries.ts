/**
 * The store's reads of attention for evaluation and heatmaps: a run's
 * attention snapshots (optionally one slide's, split's or epoch's), the
 * slides whose tiles match their attention, and the tumour labels of the
 * attended slides. Mixed into `Store` (data/store_access.ts).
 *
 * @module
 */
import type { StoreAccessClass } from "./store_access.ts";

/** One slide's attention at one epoch, from the `attention` view. */
export interface AttentionSnapshot {
  slide: string;
  split: string | null;
  epoch: number;
  /** One weight per tile, in tile order. */
  scores: number[];
}

/** Which snapshots of a run {@link withAttentionQueries} reads. */
export interface SnapshotFilter {
  slide?: string;
  split?: string;
  epoch?: number;
}

/**
 * Adds the attention reads to a store class.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * const store = await Store.open(":memory:");
 * await store.transaction((tx) =>
 *   tx.appendAttention([
 *     { run: "r1", epoch: 0, slide: "a", split: "val", scores: [0.5, 0.5] },
 *     { run: "r1", epoch: 1, slide: "a", split: "val", scores: [0.25, 0.75] },
 *   ])
 * );
 * const [last] = await store.attentionSnapshots("r1", { epoch: 1 });
 * if (last?.slide !== "a" || last.scores.length !== 2) throw new Error();
 * store.close();
 * ```
 */
export function withAttentionQueries<B extends StoreAccessClass>(Base: B) {
  abstract class AttentionQueries extends Base {
    /**
     * The attention snapshots of `run` (only those `filter` names),
     * ordered by slide and epoch.
     */
    attentionSnapshots(
      run: string,
      filter: SnapshotFilter = {},
    ): Promise<AttentionSnapshot[]> {
      return this.query<AttentionSnapshot & Record<string, unknown>>(
        `SELECT slide, split, epoch, scores FROM attention
         WHERE run = $run AND ($slide IS NULL OR slide = $slide)
           AND ($split IS NULL OR split = $split)
           AND ($epoch IS NULL OR epoch = $epoch::INTEGER)
         ORDER BY slide, epoch`,
        {
          run,
          slide: filter.slide ?? null,
          split: filter.split ?? null,
          epoch: filter.epoch ?? null,
        },
      );
    }

    /**
     * The slides with attention in `run` at `epoch` that have as many
     * tiles in the store as attention entries (so they can be drawn).
     */
    async slidesMatchingAttention(
      run: string,
      epoch: number,
    ): Promise<Set<string>> {
      return new Set(
        (await this.query(
          `SELECT a.slide FROM attention a
           JOIN (SELECT slide, count(*) AS tiles FROM tiles GROUP BY slide) t
             ON t.slide = a.slide AND t.tiles = len(a.scores)
           WHERE a.run = ? AND a.epoch = ?`,
          [run, epoch],
        )).map((r) => String(r.slide)),
      );
    }

    /**
     * Per slide with attention in `run` and tiles labelled both tumour
     * (> 0) and not (0): its tile labels in tile order (null where unknown).
     */
    async tumourLabels(run: string): Promise<Map<string, (number | null)[]>> {
      const rows = await this.query(
        `SELECT slide, list(label ORDER BY tile) AS labels FROM tiles
         WHERE slide IN (SELECT DISTINCT slide FROM attention WHERE run = $run)
         GROUP BY slide
         HAVING bool_or(label > 0) AND bool_or(label = 0)`,
        { run },
      );
      return new Map(
        rows.map((r) => [String(r.slide), r.labels as (number | null)[]]),
      );
    }
  }
  return AttentionQueries;
}
