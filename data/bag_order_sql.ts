/**
 * The one definition of a bag's instance order, as SQL views, and of which
 * tile each attention entry of a run belongs to. A bag holds the tiles of a
 * slide that an encoder embedded, by tile index (what the bag source reads);
 * the tiles table may hold more (a stage between tile and embed can drop
 * some), so attention must never be matched to tiles by their order in
 * `tiles`.
 *
 * - view `bag_tiles(slide, encoder, tile, i)`: the instances of each bag,
 *   `i` = 1, 2, … in bag order (1-based, as SQL lists are indexed).
 * - view `run_encoders(run, encoder)`: the encoder whose bags a run's
 *   attention covers: the one with as many embedded tiles as attention
 *   entries on the most of the run's slides (ties: the encoder the run's
 *   config names, then the first by name). Runs store no encoder, so it is
 *   read off the embeddings.
 * - view `attention_tiles(run, slide, tile, i)`: the tile behind attention
 *   entry `i` of `slide` in `run`: the bag tiles of the run's encoder; for a
 *   run none of whose slides match an encoder's bags (say its embeddings
 *   were deleted), every tile of the slide by index, which is the bag when
 *   no tile was dropped before embedding. A slide whose tiles here are not
 *   as many as its attention entries cannot be mapped: users check the
 *   count.
 * - table macros `run_encoder_of(run)` and `attention_tiles_of(run)`: the
 *   same for one run, reading only that run's attention and slides (the
 *   views apply them to every run; per-run queries use them directly, so
 *   their cost does not grow with the other runs in the store).
 *
 * @module
 */

/** SQL that (re)creates the bag order views. */
export const BAG_ORDER_SQL = `
CREATE OR REPLACE VIEW bag_tiles AS
SELECT slide, encoder, tile,
  row_number() OVER (PARTITION BY slide, encoder ORDER BY tile)::INTEGER AS i
FROM embeddings;

CREATE OR REPLACE MACRO run_encoder_of(r) AS TABLE
SELECT r AS run, b.encoder
FROM (SELECT slide, max(len(q)) AS n FROM attention_history WHERE run = r
      GROUP BY slide) a
JOIN (SELECT slide, encoder, count(*) AS n FROM embeddings
      WHERE slide IN (SELECT slide FROM attention_history WHERE run = r)
      GROUP BY slide, encoder) b USING (slide, n)
GROUP BY b.encoder
ORDER BY count(*) DESC,
  coalesce(b.encoder = (SELECT coalesce(config->>'$.train.encoder',
    config->>'$.embed.encoder') FROM runs WHERE id = r), false) DESC,
  b.encoder
LIMIT 1;

CREATE OR REPLACE MACRO attention_tiles_of(r) AS TABLE
WITH attended AS (SELECT DISTINCT slide FROM attention_history WHERE run = r),
  enc AS (SELECT encoder FROM run_encoder_of(r))
SELECT r AS run, b.slide, b.tile, b.i
FROM attended a JOIN bag_tiles b ON b.slide = a.slide
WHERE b.encoder = (SELECT encoder FROM enc)
UNION ALL
SELECT r AS run, t.slide, t.tile,
  row_number() OVER (PARTITION BY t.slide ORDER BY t.tile)::INTEGER AS i
FROM attended a JOIN tiles t USING (slide)
WHERE NOT EXISTS (SELECT 1 FROM enc);

CREATE OR REPLACE VIEW run_encoders AS
SELECT e.* FROM (SELECT DISTINCT run FROM attention_history) d,
  run_encoder_of(d.run) e;

CREATE OR REPLACE VIEW attention_tiles AS
SELECT x.* FROM (SELECT DISTINCT run FROM attention_history) d,
  attention_tiles_of(d.run) x;
`;
