/**
 * SQL for the stability analysis, beside the macros of `macros.ts`
 * (which it uses): ranks and Spearman correlation of attention lists, the
 * full per-slide/epoch stability table, per-slide and per-run summaries and
 * attention localisation. Installed with {@link installStabilitySql}; it is
 * `CREATE OR REPLACE` throughout, so installing again is harmless.
 *
 * - `average_ranks(p)`: ranks 1…n of `p`, ties sharing their mean rank
 *   (O(n²): for ad hoc queries; the views rank with window functions).
 * - `spearman_rank(p, q)`: Spearman correlation of two lists of equal length
 *   (NULL when lengths differ, NaN when one is constant).
 * - table macro `attention_stability_full(k := 10)`: `run, slide, split,
 *   epoch, patches, js_divergence, entropy, effective_patches, topk_overlap,
 *   spearman`, each against the slide's previous epoch (JS to uniform at the
 *   first; overlap and Spearman NULL there).
 * The JS divergence to the previous epoch is computed from a column that
 * already holds the reference (previous epoch, or uniform): passing
 * `coalesce(lag(…), uniform_like(…))` straight into `js_divergence` makes
 * DuckDB re-evaluate it for every list element, about 80× slower.
 *
 * - table macro `slide_stability()`: per run and slide, the mean JS over the
 *   last half of the slide's epochs and the final entropy.
 * - table macro `run_stability(threshold := 0.01)`: per run and split (and
 *   split `'all'`), epochs, slides, mean JS over the last half of training,
 *   the settling epoch, final mean entropy and effective patches.
 * - view `attention_localisation`: per run, epoch and slide whose bag has
 *   labelled tiles of both kinds, the ROC AUC of attention against tumour
 *   labels (attention entry i is the bag's i-th tile, `attention_tiles`).
 *
 * @module
 */

import type { Store } from "./store.ts";

/** SQL that (re)creates the stability macros and views. */
export const STABILITY_SQL = `
CREATE OR REPLACE MACRO average_ranks(p) AS
  list_transform(p, lambda v:
    len(list_filter(p, lambda w: w < v))
      + (len(list_filter(p, lambda w: w = v)) + 1) / 2.0);
CREATE OR REPLACE MACRO _pearson_of_ranks(a, b) AS
  (list_dot_product(a, b) - len(a) * ((len(a) + 1) / 2.0) ** 2)
  / sqrt((list_dot_product(a, a) - len(a) * ((len(a) + 1) / 2.0) ** 2)
       * (list_dot_product(b, b) - len(b) * ((len(b) + 1) / 2.0) ** 2));
CREATE OR REPLACE MACRO spearman_rank(p, q) AS
  CASE WHEN p IS NULL OR q IS NULL OR len(p) <> len(q) THEN NULL
  ELSE _pearson_of_ranks(average_ranks(p), average_ranks(q)) END;

CREATE OR REPLACE MACRO attention_stability_full(k := 10) AS TABLE
WITH series AS (
  SELECT *, coalesce(previous, uniform_like(scores)) AS reference FROM (
    SELECT run, slide, split, epoch, scores,
      lag(scores) OVER (PARTITION BY run, slide ORDER BY epoch) AS previous
    FROM attention)
), pairs AS (
  SELECT run, slide, epoch, unnest(previous) AS a, unnest(scores) AS b
  FROM series WHERE len(previous) = len(scores)
), ranked AS (
  SELECT run, slide, epoch,
    rank() OVER (PARTITION BY run, slide, epoch ORDER BY a)
      + (count(*) OVER (PARTITION BY run, slide, epoch, a) - 1) / 2.0 AS ra,
    rank() OVER (PARTITION BY run, slide, epoch ORDER BY b)
      + (count(*) OVER (PARTITION BY run, slide, epoch, b) - 1) / 2.0 AS rb
  FROM pairs
), spearman AS (
  SELECT run, slide, epoch,
    CASE WHEN var_pop(ra) > 0 AND var_pop(rb) > 0
      THEN covar_pop(ra, rb) / sqrt(var_pop(ra) * var_pop(rb))
      ELSE 'NaN'::DOUBLE END AS spearman
  FROM ranked GROUP BY run, slide, epoch
)
SELECT s.run, s.slide, s.split, s.epoch, len(s.scores) AS patches,
  js_divergence(s.reference, s.scores) AS js_divergence,
  attention_entropy(s.scores) AS entropy,
  effective_patches(s.scores) AS effective_patches,
  CASE WHEN len(s.previous) = len(s.scores)
    THEN topk_overlap(s.previous, s.scores, k) END AS topk_overlap,
  r.spearman
FROM series s LEFT JOIN spearman r USING (run, slide, epoch);

CREATE OR REPLACE MACRO _attention_js() AS TABLE
SELECT run, slide, split, epoch, js_divergence(reference, scores) AS js_divergence,
  attention_entropy(scores) AS entropy
FROM (
  SELECT run, slide, split, epoch, scores,
    coalesce(lag(scores) OVER (PARTITION BY run, slide ORDER BY epoch),
      uniform_like(scores)) AS reference
  FROM attention);

CREATE OR REPLACE MACRO slide_stability() AS TABLE
SELECT run, slide, any_value(split ORDER BY epoch DESC) AS split,
  avg(js_divergence) FILTER (WHERE pos > n // 2) AS mean_js_last_half,
  arg_max(entropy, epoch) AS final_entropy
FROM (
  SELECT *, row_number() OVER (PARTITION BY run, slide ORDER BY epoch) AS pos,
    count(*) OVER (PARTITION BY run, slide) AS n
  FROM _attention_js()
) GROUP BY run, slide;

CREATE OR REPLACE MACRO run_stability(threshold := 0.01) AS TABLE
WITH measured AS MATERIALIZED (SELECT * FROM _attention_js()),
rows AS (
  SELECT run, coalesce(split, 'none') AS split, slide, epoch, js_divergence,
    entropy FROM measured
  UNION ALL
  SELECT run, 'all' AS split, slide, epoch, js_divergence, entropy
  FROM measured
), per_epoch AS (
  SELECT run, split, epoch, avg(js_divergence) AS mean_js,
    avg(entropy) AS mean_entropy, avg(exp(entropy)) AS mean_effective,
    count(DISTINCT slide) AS slides
  FROM rows GROUP BY run, split, epoch
), placed AS (
  SELECT *,
    row_number() OVER (PARTITION BY run, split ORDER BY epoch) AS pos,
    count(*) OVER (PARTITION BY run, split) AS n,
    max(mean_js) OVER (PARTITION BY run, split ORDER BY epoch
      ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS tail_max
  FROM per_epoch
)
SELECT placed.run, placed.split, any_value(n) AS epochs,
  (SELECT count(DISTINCT slide) FROM rows r
   WHERE r.run = placed.run AND r.split = placed.split) AS slides,
  avg(mean_js) FILTER (WHERE pos > n // 2) AS mean_js_last_half,
  min(epoch) FILTER (WHERE tail_max < threshold) AS settling_epoch,
  any_value(threshold)::DOUBLE AS threshold,
  arg_max(mean_entropy, epoch) AS final_entropy,
  arg_max(mean_effective, epoch) AS final_effective_patches
FROM placed GROUP BY placed.run, placed.split;

CREATE OR REPLACE VIEW attention_localisation AS
WITH labelled AS (
  SELECT a.run, a.slide, a.i, t.label,
    count(*) OVER (PARTITION BY a.run, a.slide) AS tiles
  FROM attention_tiles a JOIN tiles t USING (slide, tile)
), usable AS (
  SELECT run, slide FROM labelled GROUP BY run, slide
  HAVING bool_or(label > 0) AND bool_or(label = 0)
), scored AS (
  SELECT run, epoch, slide, split, len(scores) AS n,
    unnest(scores) AS score, generate_subscripts(scores, 1) AS i
  FROM attention JOIN usable USING (run, slide)
), joined AS (
  SELECT s.run, s.epoch, s.slide, s.split, s.score, l.label > 0 AS tumour
  FROM scored s JOIN labelled l ON l.run = s.run AND l.slide = s.slide
    AND l.i = s.i
  WHERE l.tiles = s.n AND l.label IS NOT NULL
), ranked AS (
  SELECT *, rank() OVER (PARTITION BY run, epoch, slide ORDER BY score)
    + (count(*) OVER (PARTITION BY run, epoch, slide, score) - 1) / 2.0 AS r
  FROM joined
), sums AS (
  SELECT run, epoch, slide, any_value(split) AS split,
    count(*) FILTER (WHERE tumour) AS positives,
    count(*) FILTER (WHERE NOT tumour) AS negatives,
    sum(r) FILTER (WHERE tumour) AS rank_sum
  FROM ranked GROUP BY run, epoch, slide
)
SELECT run, epoch, slide, split, positives, negatives,
  (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
    AS auc
FROM sums;
`;

/**
 * Creates (or replaces) the stability macros and views in `store`.
 *
 * @example
 * ```ts
 * import { Store } from "./store.ts";
 * import { installStabilitySql } from "./stability_sql.ts";
 * const store = await Store.open(":memory:");
 * await installStabilitySql(store);
 * const [row] = await store.query("SELECT spearman_rank([1, 2, 3], [3, 2, 1]) AS r");
 * if (row!.r !== -1) throw new Error();
 * store.close();
 * ```
 */
export async function installStabilitySql(store: Store): Promise<void> {
  await store.exec(STABILITY_SQL);
}
