/**
 * The run store's schema as a list of forward migrations. A store records the
 * version it is at in `meta`; opening it applies the migrations it lacks, in
 * order, each in its own transaction.
 *
 * @module
 */

/** One forward migration: the SQL that takes the store to `version`. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The columns of `tiles` as versions 1 and 3 create the table (version 3
 * rebuilds it without its primary key). Part of released migrations: never
 * edit; a new column comes with a new migration.
 */
const TILE_COLUMNS = `
  slide VARCHAR NOT NULL,
  tile INTEGER NOT NULL,
  x BIGINT NOT NULL,
  y BIGINT NOT NULL,
  size INTEGER NOT NULL,
  level INTEGER NOT NULL,
  tissue FLOAT,
  label TINYINT`.slice(1);

/**
 * The ordered migrations. Append new ones; never edit a released one.
 *
 * Attention rows hold `scores`: the attention distribution over the slide's
 * tiles (normalised, mean over heads/branches/tokens, sums to 1) and `heads`:
 * the same per head, in the model's head order. From version 3 they are
 * stored in `attention_history` as 16-bit levels on a logarithmic scale
 * below the row's maximum (`scale`): value = scale · 2^((q − 65535) / 2048),
 * q = 0 for zero (data/attention_quantise.ts: 2 bytes per tile and epoch,
 * relative error ≤ 1.7e-4 over 32 octaves), and `attention` is a view that
 * gives them back as `FLOAT[]`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description:
      "slides, tiles, embeddings, runs, epochs, attention, predictions, metrics, failures",
    sql: `
CREATE TABLE slides (
  id VARCHAR PRIMARY KEY,
  path VARCHAR,
  label VARCHAR,
  split VARCHAR,
  mpp DOUBLE,
  magnification DOUBLE,
  width BIGINT,
  height BIGINT,
  vendor VARCHAR,
  status VARCHAR NOT NULL DEFAULT 'pending',
  error VARCHAR,
  tile_params VARCHAR,
  updated TIMESTAMP DEFAULT current_timestamp
);
CREATE TABLE tiles (
${TILE_COLUMNS},
  PRIMARY KEY (slide, tile)
);
CREATE TABLE embeddings (
  slide VARCHAR NOT NULL,
  tile INTEGER NOT NULL,
  encoder VARCHAR NOT NULL,
  features FLOAT[] NOT NULL,
  PRIMARY KEY (slide, tile, encoder)
);
CREATE TABLE runs (
  id VARCHAR PRIMARY KEY,
  model VARCHAR NOT NULL,
  config JSON,
  seed INTEGER,
  fold INTEGER,
  started TIMESTAMP DEFAULT current_timestamp,
  finished TIMESTAMP,
  status VARCHAR NOT NULL DEFAULT 'running',
  error VARCHAR
);
CREATE TABLE epochs (
  run VARCHAR NOT NULL,
  epoch INTEGER NOT NULL,
  losses JSON,
  lr DOUBLE,
  seconds DOUBLE,
  metrics JSON,
  PRIMARY KEY (run, epoch)
);
CREATE TABLE attention (
  run VARCHAR NOT NULL,
  epoch INTEGER NOT NULL,
  slide VARCHAR NOT NULL,
  split VARCHAR,
  scores FLOAT[] NOT NULL,
  heads FLOAT[][],
  PRIMARY KEY (run, epoch, slide)
);
CREATE TABLE predictions (
  run VARCHAR NOT NULL,
  epoch INTEGER NOT NULL,
  slide VARCHAR NOT NULL,
  split VARCHAR,
  probabilities FLOAT[] NOT NULL,
  label INTEGER,
  PRIMARY KEY (run, epoch, slide)
);
CREATE TABLE metrics (
  run VARCHAR NOT NULL,
  epoch INTEGER,
  split VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  value DOUBLE,
  lo DOUBLE,
  hi DOUBLE
);
CREATE TABLE failures (
  stage VARCHAR NOT NULL,
  slide VARCHAR NOT NULL,
  error VARCHAR NOT NULL,
  failed_at TIMESTAMP DEFAULT current_timestamp
);
`,
  },
  {
    version: 2,
    description:
      "encoders: the model behind each embedding encoder name (fingerprint, source, dimension)",
    sql: `
CREATE TABLE encoders (
  name VARCHAR PRIMARY KEY,
  fingerprint VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  dim INTEGER NOT NULL,
  registered_at TIMESTAMP DEFAULT current_timestamp
);
`,
  },
  {
    version: 3,
    description:
      "scale: no primary keys on the big tables (their indexes grew with the store and were rewritten at every checkpoint), embeddings stored uncompressed (per-slide reads 3–4× faster), attention quantised to 16 bits in attention_history behind an attention view",
    sql: `
CREATE TABLE embeddings_v3 (
  slide VARCHAR NOT NULL,
  tile INTEGER NOT NULL,
  encoder VARCHAR NOT NULL,
  features FLOAT[] NOT NULL USING COMPRESSION uncompressed
);
INSERT INTO embeddings_v3 SELECT slide, tile, encoder, features FROM embeddings;
DROP TABLE embeddings;
ALTER TABLE embeddings_v3 RENAME TO embeddings;

CREATE TABLE tiles_v3 (
${TILE_COLUMNS}
);
INSERT INTO tiles_v3 SELECT slide, tile, x, y, size, level, tissue, label FROM tiles;
DROP TABLE tiles;
ALTER TABLE tiles_v3 RENAME TO tiles;

CREATE TABLE predictions_v3 (
  run VARCHAR NOT NULL,
  epoch INTEGER NOT NULL,
  slide VARCHAR NOT NULL,
  split VARCHAR,
  probabilities FLOAT[] NOT NULL,
  label INTEGER
);
INSERT INTO predictions_v3
  SELECT run, epoch, slide, split, probabilities, label FROM predictions;
DROP TABLE predictions;
ALTER TABLE predictions_v3 RENAME TO predictions;

CREATE TABLE attention_history (
  run VARCHAR NOT NULL,
  epoch INTEGER NOT NULL,
  slide VARCHAR NOT NULL,
  split VARCHAR,
  scale FLOAT NOT NULL,
  q USMALLINT[] NOT NULL,
  head_scale FLOAT,
  head_q USMALLINT[][]
);
INSERT INTO attention_history
  SELECT run, epoch, slide, split,
    list_max(scores),
    list_transform(scores, x -> CASE WHEN x <= 0 THEN 0 ELSE greatest(0,
      65535 + round(2048 * log2(x / list_max(scores)))) END::USMALLINT),
    list_max(list_transform(heads, h -> list_max(h))),
    list_transform(heads, h -> list_transform(h, x ->
      CASE WHEN x <= 0 THEN 0 ELSE greatest(0, 65535 + round(2048 * log2(
        x / list_max(list_transform(heads, g -> list_max(g)))))) END::USMALLINT))
  FROM attention;
DROP TABLE attention;
CREATE MACRO attention_level(x, scale) AS
  CASE WHEN x = 0 THEN 0
    ELSE scale * pow(2, (x::INTEGER - 65535) / 2048) END::FLOAT;
CREATE VIEW attention AS
  SELECT run, epoch, slide, split,
    list_transform(q, x -> attention_level(x, scale)) AS scores,
    list_transform(head_q, h -> list_transform(h, x ->
      attention_level(x, head_scale))) AS heads
  FROM attention_history;

ALTER TABLE epochs ADD COLUMN timing JSON;
`,
  },
];

/** The version a store is at after every migration has run. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
