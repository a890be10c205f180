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
 * The ordered migrations. Append new ones; never edit a released one.
 *
 * Attention rows hold `scores`: the attention distribution over the slide's
 * tiles (normalised, mean over heads/branches/tokens, sums to 1) and `heads`:
 * the same per head, in the model's head order.
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
  slide VARCHAR NOT NULL,
  tile INTEGER NOT NULL,
  x BIGINT NOT NULL,
  y BIGINT NOT NULL,
  size INTEGER NOT NULL,
  level INTEGER NOT NULL,
  tissue FLOAT,
  label TINYINT,
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
];

/** The version a store is at after every migration has run. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
