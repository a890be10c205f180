/**
 * The SQL behind `asmil merge`: one shard store attached read-only as
 * an alias (`src` below), its rows checked against the target store and copied into it with
 * `INSERT … SELECT` inside DuckDB (no row passes through JavaScript).
 *
 * A slide is taken whole from the first store that has it (its row and
 * tiles); embeddings per (slide, encoder) not yet in the target; encoders
 * by name; runs by id with their epochs, attention, predictions and
 * metrics; failures not already recorded. So a merge run twice adds
 * nothing the second time.
 *
 * @module
 */

/** Statuses of a slide row with no tiles behind it (replaced by a shard's tiled row). */
const UNTILED = "('failed', 'pending')";

/** Tile parameters without the per-slide scale source, to compare slides. */
const cohortParams = (column: string) =>
  `json_merge_patch(${column}, '{"slideMpp":null}')`;

/** The shard's schema version. */
export const shardVersionSql = (src: string): string =>
  `SELECT value FROM ${src}.meta WHERE key = 'schema_version'`;

/** Encoder names the shard and target give to different models. */
export const encoderConflictsSql = (src: string): string => `
SELECT s.name, s.fingerprint, s.dim, s.source,
  t.fingerprint AS target_fingerprint, t.dim AS target_dim,
  t.source AS target_source
FROM ${src}.encoders s JOIN encoders t USING (name)
WHERE s.fingerprint <> t.fingerprint OR s.dim <> t.dim
ORDER BY s.name`;

/** Slides in both stores whose tiles were made with other parameters. */
export const slideParamConflictsSql = (src: string): string => `
SELECT s.id, s.tile_params, t.tile_params AS target_params
FROM ${src}.slides s JOIN slides t USING (id)
WHERE s.tile_params IS DISTINCT FROM t.tile_params
  AND t.status NOT IN ${UNTILED} AND s.status NOT IN ${UNTILED}
ORDER BY s.id`;

/** Run ids in both stores that name different runs. */
export const runConflictsSql = (src: string): string => `
SELECT s.id, s.model, s.started, t.model AS target_model,
  t.started AS target_started
FROM ${src}.runs s JOIN runs t USING (id)
WHERE s.config IS DISTINCT FROM t.config
  OR s.started IS DISTINCT FROM t.started
ORDER BY s.id`;

/**
 * Tile parameters (less the per-slide MPP source) of the shard's tiled
 * slides that none of the target's tiled slides share, with one slide each.
 */
export const newTileParamsSql = (src: string): string => `
SELECT ${cohortParams("tile_params")} AS params, min(id) AS example
FROM ${src}.slides WHERE tile_params IS NOT NULL
GROUP BY 1
HAVING ${cohortParams("tile_params")} NOT IN (
  SELECT DISTINCT ${cohortParams("tile_params")} FROM slides
  WHERE tile_params IS NOT NULL)
ORDER BY 1`;

/** The target's distinct tile parameters (less the per-slide MPP source). */
export const TARGET_TILE_PARAMS_SQL = `
SELECT DISTINCT ${
  cohortParams("tile_params")
} AS params FROM slides WHERE tile_params IS NOT NULL
ORDER BY 1`;

/**
 * Slides to take from the shard (absent from the target, or there only as
 * a failed or pending row while the shard has them tiled), and those
 * already present.
 */
export const planSlidesSql = (src: string): string => `
CREATE OR REPLACE TEMP TABLE merge_slides AS
SELECT s.id, t.id IS NOT NULL AS replace
FROM ${src}.slides s LEFT JOIN slides t USING (id)
WHERE t.id IS NULL
  OR (t.status IN ${UNTILED} AND s.status NOT IN ${UNTILED});
CREATE OR REPLACE TEMP TABLE merge_embedded AS
SELECT DISTINCT slide, encoder FROM embeddings
WHERE slide IN (SELECT DISTINCT slide FROM ${src}.embeddings);`;

/** Counts of what {@link copySql} adds, and of slides already present. */
export const planCountsSql = (src: string): string => `
SELECT
  (SELECT count(*) FROM merge_slides) AS slides,
  (SELECT count(*) FROM ${src}.slides) - (SELECT count(*) FROM merge_slides)
    AS present,
  (SELECT count(*) FROM ${src}.tiles
    WHERE slide IN (SELECT id FROM merge_slides)) AS tiles,
  (SELECT count(*) FROM ${src}.runs WHERE id NOT IN (SELECT id FROM runs))
    AS runs,
  (SELECT count(*) FROM ${src}.runs WHERE id IN (SELECT id FROM runs))
    AS runs_present`;

/** Embedding rows to add, by encoder. */
export const planEmbeddingsSql = (src: string): string => `
SELECT e.encoder, count(*) AS rows, count(DISTINCT e.slide) AS slides
FROM ${src}.embeddings e ANTI JOIN merge_embedded d USING (slide, encoder)
GROUP BY e.encoder ORDER BY e.encoder`;

/** Copies the planned rows (in slide and tile order) into the target. */
export const copySql = (src: string): string => `
DELETE FROM tiles WHERE slide IN (SELECT id FROM merge_slides WHERE replace);
DELETE FROM slides WHERE id IN (SELECT id FROM merge_slides WHERE replace);
INSERT INTO encoders BY NAME
  SELECT * FROM ${src}.encoders WHERE name NOT IN (SELECT name FROM encoders);
INSERT INTO slides BY NAME
  SELECT * FROM ${src}.slides WHERE id IN (SELECT id FROM merge_slides)
  ORDER BY id;
INSERT INTO tiles BY NAME
  SELECT * FROM ${src}.tiles WHERE slide IN (SELECT id FROM merge_slides)
  ORDER BY slide, tile;
INSERT INTO embeddings BY NAME
  SELECT e.* FROM ${src}.embeddings e
  ANTI JOIN merge_embedded d USING (slide, encoder)
  ORDER BY e.slide, e.encoder, e.tile;
INSERT INTO failures BY NAME
  SELECT * FROM ${src}.failures f WHERE NOT EXISTS (
    SELECT 1 FROM failures t
    WHERE t.stage = f.stage AND t.slide = f.slide AND t.error = f.error);
CREATE OR REPLACE TEMP TABLE merge_runs AS
  SELECT id FROM ${src}.runs WHERE id NOT IN (SELECT id FROM runs);
INSERT INTO runs BY NAME
  SELECT * FROM ${src}.runs WHERE id IN (SELECT id FROM merge_runs);
INSERT INTO epochs BY NAME
  SELECT * FROM ${src}.epochs WHERE run IN (SELECT id FROM merge_runs);
INSERT INTO attention_history BY NAME
  SELECT * FROM ${src}.attention_history WHERE run IN (SELECT id FROM merge_runs)
  ORDER BY run, epoch, slide;
INSERT INTO predictions BY NAME
  SELECT * FROM ${src}.predictions WHERE run IN (SELECT id FROM merge_runs);
INSERT INTO metrics BY NAME
  SELECT * FROM ${src}.metrics WHERE run IN (SELECT id FROM merge_runs);
DROP TABLE merge_slides;
DROP TABLE merge_embedded;
DROP TABLE merge_runs;`;

/**
 * Copying slides from another store (attached read-only as an alias (`src`
 * below)), first step: the slides named in `$ids` that this store lacks.
 */
export const seedPickSql = (src: string): string => `
CREATE OR REPLACE TEMP TABLE seed_slides AS
  SELECT id FROM ${src}.slides
  WHERE list_contains($ids, id) AND id NOT IN (SELECT id FROM slides)`;

/** Second step: copies the picked slides with their tiles. */
export const seedCopySql = (src: string): string => `
INSERT INTO slides BY NAME
  SELECT * FROM ${src}.slides WHERE id IN (SELECT id FROM seed_slides) ORDER BY id;
INSERT INTO tiles BY NAME
  SELECT * FROM ${src}.tiles WHERE slide IN (SELECT id FROM seed_slides)
  ORDER BY slide, tile;
DROP TABLE seed_slides;`;

/** The other store's slides (only the tiled ones when `tiledOnly`), by id. */
export const sourceSlidesSql = (src: string, tiledOnly: boolean): string =>
  `SELECT id FROM ${src}.slides ${
    tiledOnly ? "WHERE status = 'tiled' " : ""
  }ORDER BY id`;
