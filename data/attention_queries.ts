/**
 * The store's reads of attention for evaluation and heatmaps: a run's
 * attention snapshots (optionally one slide's, split's or epoch's), the
 * tiles behind them in bag order (see `bag_order_sql.ts`), the slides
 * whose bags match their attention, and the tumour labels of the attended
 * slides' bags. Mixed into `Store` (data/store_access.ts).
 *
 * @module
 */
import type { StoreAccessClass } from "./store_access.ts";
import type { StoredTile } from "./slide_queries.ts";

/** One slide's attention at one epoch, from the `attention` view. */
export interface AttentionSnapshot {
  slide: string;
  split: string | null;
  epoch: number;
  /** One weight per instance of the slide's bag, in bag order. */
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
     * The tiles behind `run`'s attention on `slide`, in bag order: entry i
     * of the slide's attention belongs to tile i here (the view
     * `attention_tiles`). Empty when the run has no attention on the slide.
     */
    attentionTiles(run: string, slide: string): Promise<StoredTile[]> {
      return this.query<StoredTile & Record<string, unknown>>(
        `SELECT t.tile, t.x, t.y, t.size, t.level, t.tissue, t.label
         FROM attention_tiles_of($run) a JOIN tiles t USING (slide, tile)
         WHERE a.slide = $slide ORDER BY a.i`,
        { run, slide },
      );
    }

    /**
     * The slides with attention in `run` at `epoch` whose bags have as
     * many tiles as attention entries (so they can be drawn).
     */
    async slidesMatchingAttention(
      run: string,
      epoch: number,
    ): Promise<Set<string>> {
      return new Set(
        (await this.query(
          `SELECT a.slide FROM attention a
           JOIN (SELECT slide, count(*) AS tiles FROM attention_tiles_of($run)
                 GROUP BY slide) t
             ON t.slide = a.slide AND t.tiles = len(a.scores)
           WHERE a.run = $run AND a.epoch = $epoch::INTEGER`,
          { run, epoch },
        )).map((r) => String(r.slide)),
      );
    }

    /**
     * Per slide with attention in `run` whose bag has tiles labelled both
     * tumour (> 0) and not (0): the labels of its bag's tiles in bag order
     * (null where unknown), one per attention entry.
     */
    async tumourLabels(run: string): Promise<Map<string, (number | null)[]>> {
      const rows = await this.query(
        `SELECT slide, list(t.label ORDER BY a.i) AS labels
         FROM attention_tiles_of($run) a JOIN tiles t USING (slide, tile)
         GROUP BY slide
         HAVING bool_or(t.label > 0) AND bool_or(t.label = 0)`,
        { run },
      );
      return new Map(
        rows.map((r) => [String(r.slide), r.labels as (number | null)[]]),
      );
    }
  }
  return AttentionQueries;
}
