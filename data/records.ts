/**
 * Row shapes written to the run store.
 *
 * @module
 */

/** A row of `slides`. Omitted fields are stored as NULL. */
export interface SlideRecord {
  id: string;
  path: string;
  label?: string | number | null;
  split?: string | null;
  mpp?: number | null;
  magnification?: number | null;
  width?: number | null;
  height?: number | null;
  vendor?: string | null;
  /** e.g. `pending`, `tiled`, `failed`, `empty`. */
  status?: string;
  error?: string | null;
  /** Canonical JSON (or hash) of the parameters the slide was tiled with. */
  tileParams?: string | null;
}

/** A row of `tiles` (the slide id is given separately). */
export interface TileRecord {
  tile: number;
  x: number;
  y: number;
  size: number;
  level: number;
  tissue?: number | null;
  label?: number | null;
}

/** A row of `embeddings` (slide and encoder are given separately). */
export interface EmbeddingRecord {
  tile: number;
  features: Float32Array | readonly number[];
}

/** A row of `runs`. */
export interface RunRecord {
  id: string;
  model: string;
  config: unknown;
  seed?: number | null;
  fold?: number | null;
  status?: string;
}

/** A row of `epochs`. */
export interface EpochRecord {
  run: string;
  epoch: number;
  losses: Record<string, number>;
  lr: number;
  /** Wall seconds of the whole epoch: steps, evaluation, writes, checkpoint. */
  seconds: number;
  metrics: Record<string, unknown>;
  /** The epoch's seconds by part (e.g. train, evaluate, record, checkpoint). */
  timing?: Record<string, number>;
}

/** A row of `attention`: one slide's attention at one epoch. */
export interface AttentionRecord {
  run: string;
  epoch: number;
  slide: string;
  split?: string | null;
  /** Attention distribution over the slide's tiles (mean over heads). */
  scores: Float32Array | readonly number[];
  /** Per-head distributions, when the model has several heads. */
  heads?: readonly (Float32Array | readonly number[])[] | null;
}

/** A row of `predictions`. */
export interface PredictionRecord {
  run: string;
  epoch: number;
  slide: string;
  split?: string | null;
  probabilities: Float32Array | readonly number[];
  label?: number | null;
}

/** A row of `metrics`. */
export interface MetricRecord {
  run: string;
  epoch?: number | null;
  split: string;
  name: string;
  value: number | null;
  lo?: number | null;
  hi?: number | null;
}
