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
 *
 * @module
 */

/** SQL that (re)creates the bag order views. */
export const BAG_ORDER_SQL = `
CREATE OR REPLACE VIEW bag_tiles AS
SELECT slide, encoder, tile,
  row_number() OVER (PARTITION BY slide, encoder ORDER BY tile)::INTEGER AS i
FROM embeddings;

CREATE OR REPLACE VIEW run_encoders AS
SELECT a.run, b.encoder
FROM (SELECT run, slide, max(len(q)) AS n FROM attention_history
      GROUP BY run, slide) a
JOIN (SELECT slide, encoder, count(*) AS n FROM embeddings
      GROUP BY slide, encoder) b USING (slide, n)
LEFT JOIN runs r ON r.id = a.run
GROUP BY a.run, b.encoder, r.config
QUALIFY row_number() OVER (PARTITION BY a.run ORDER BY count(*) DESC,
  coalesce(b.encoder = coalesce(r.config->>'$.train.encoder',
    r.config->>'$.embed.encoder'), false) DESC,
  b.encoder) = 1;

CREATE OR REPLACE VIEW attention_tiles AS
WITH attended AS (SELECT DISTINCT run, slide FROM attention_history)
SELECT a.run, b.slide, b.tile, b.i
FROM attended a JOIN run_encoders r USING (run)
JOIN bag_tiles b ON b.slide = a.slide AND b.encoder = r.encoder
UNION ALL
SELECT a.run, t.slide, t.tile,
  row_number() OVER (PARTITION BY a.run, t.slide ORDER BY t.tile)::INTEGER AS i
FROM attended a JOIN tiles t USING (slide)
WHERE a.run NOT IN (SELECT run FROM run_encoders);
`;
