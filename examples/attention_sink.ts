/**
 * Example: a sink on the training event stream. After each epoch the
 * trainer has recorded every slide's attention in the store; the sink
 * copies that epoch's snapshot to a Parquet file (one row per tile, with
 * its level-0 position) with DuckDB's `COPY … TO`, reads it back, and
 * prints a stability line: the mean Jensen–Shannon divergence of each
 * slide's attention from the previous epoch's.
 *
 * ```sh
 * deno run -A examples/attention_sink.ts out/attention_sink [encoder]
 * deno task asmil --db out/attention_sink/attention_sink.duckdb sql \
 *   "SELECT epoch, count(*) AS tiles FROM 'out/attention_sink/attention/*.parquet' GROUP BY epoch"
 * ```
 *
 * @module
 */
import { join, resolve } from "node:path";
import {
  type EpochEvent,
  jsDivergence,
  type Split,
  type Store,
} from "../mod.ts";
import {
  exampleMain,
  type ExampleRunOptions,
  exampleTiles,
  exampleTraining,
  withExampleStore,
} from "./_cohort.ts";

/** One epoch's attention stability, as the sink prints it. */
export interface StabilityLine {
  epoch: number;
  /** The Parquet file written. */
  path: string;
  /** Rows (tiles) in it. */
  rows: number;
  /** Mean JS divergence from the previous epoch over all slides (NaN at the first). */
  js: number;
  /** The same over validation slides (NaN at the first or without any). */
  jsVal: number;
}

/** Options of {@linkcode AttentionParquetSink}. */
export interface AttentionSinkOptions {
  /** The store the trainer records into. */
  store: Store;
  /** Encoder whose embeddings were trained on (maps attention to tiles). */
  encoder: string;
  /** Folder for `epoch-NNN.parquet` (created when missing). */
  dir: string;
  /** Receives each epoch's line (default: printed). */
  onEpoch?: (line: StabilityLine) => void;
}

/** A SQL string literal. */
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A divergence as printed ("–" when there is none). */
const formatJs = (v: number) => Number.isNaN(v) ? "–" : v.toExponential(2);

/** Mean of `values`, NaN when empty. */
const mean = (values: readonly number[]) =>
  values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN;

/**
 * Writes each epoch's attention snapshot to Parquet and reports its
 * stability. Attention row `i` of a slide belongs to the `i`-th tile of its
 * bag (the store's `bag_tiles` view: the embedded tiles in tile order, the
 * order the bag stage assembles bags in).
 *
 * @example
 * ```ts ignore
 * await events.pipeTo(new AttentionParquetSink({ store, encoder: encoder.name, dir: "out/attention" }));
 * ```
 */
export class AttentionParquetSink extends WritableStream<EpochEvent> {
  /** Creates the sink. */
  constructor(options: AttentionSinkOptions) {
    const { store, dir } = options;
    const onEpoch = options.onEpoch ?? ((l: StabilityLine) =>
      console.log(
        `epoch ${l.epoch}: ${l.rows} tiles → ${l.path}; JS from previous epoch ${
          formatJs(l.js)
        } (validation ${formatJs(l.jsVal)})`,
      ));
    let previous = new Map<string, Float32Array>();
    super({
      start: () => Deno.mkdir(dir, { recursive: true }),
      write: async (event) => {
        if (!Number.isInteger(event.epoch) || event.epoch < 0) {
          throw new RangeError(
            `The attention sink needs a non-negative integer epoch: got ${event.epoch} for run "${event.run}"`,
          );
        }
        const path = resolve(
          dir,
          `epoch-${String(event.epoch).padStart(3, "0")}.parquet`,
        );
        await store.exec(`COPY (
          WITH a AS (
            SELECT run, epoch, slide, split, unnest(scores) AS attention,
              generate_subscripts(scores, 1) AS i
            FROM attention
            WHERE run = ${literal(event.run)} AND epoch = ${event.epoch}
          ), t AS (
            SELECT slide, tile, x, y, i
            FROM bag_tiles JOIN tiles USING (slide, tile)
            WHERE encoder = ${literal(options.encoder)}
          )
          SELECT run, epoch, slide, split, tile, x, y, attention
          FROM a JOIN t USING (slide, i)
          ORDER BY slide, tile
        ) TO ${literal(path)} (FORMAT parquet)`);
        const rows = await store.query<
          { slide: string; split: Split; attention: number[] }
        >(
          `SELECT slide, any_value(split) AS split,
             list(attention ORDER BY tile) AS attention
           FROM read_parquet(${literal(path)}) GROUP BY slide`,
        );
        const js: number[] = [], jsVal: number[] = [];
        const current = new Map<string, Float32Array>();
        for (const r of rows) {
          const p = Float32Array.from(r.attention);
          current.set(r.slide, p);
          const q = previous.get(r.slide);
          if (!q) continue;
          js.push(jsDivergence(q, p));
          if (r.split === "val") jsVal.push(jsDivergence(q, p));
        }
        previous = current;
        onEpoch({
          epoch: event.epoch,
          path,
          rows: rows.reduce((n, r) => n + r.attention.length, 0),
          js: mean(js),
          jsVal: mean(jsVal),
        });
      },
    });
  }
}

/** Options of {@linkcode runAttentionSinkExample}. */
export interface AttentionSinkExampleOptions extends ExampleRunOptions {
  /** Folder for the cohort, the store and `attention/`. */
  outDir: string;
  /** Training epochs (default 4). */
  epochs?: number;
  /** Receives each epoch's line (default: printed). */
  onEpoch?: (line: StabilityLine) => void;
}

/**
 * Tiles, embeds, bags and trains the synthetic cohort, recording every
 * slide's attention, and drains the events into the sink:
 * `slides → TileStream → EmbedStream → BagStream → TrainStream → AttentionParquetSink`.
 * Returns the folder of the Parquet files.
 */
export async function runAttentionSinkExample(
  options: AttentionSinkExampleOptions,
): Promise<string> {
  const { outDir, encoder } = options;
  const dir = join(outDir, "attention");
  await withExampleStore(options, "attention_sink", async (cohort, store) => {
    await ReadableStream.from(cohort.slides)
      .pipeThrough(exampleTiles(store))
      .pipeThrough(
        exampleTraining(cohort, {
          store,
          encoder,
          runId: "attention_sink",
          epochs: options.epochs ?? 4,
          lr: 1e-3,
          recordTrainAttention: true,
        }),
      )
      .pipeTo(
        new AttentionParquetSink({
          store,
          encoder: encoder.name,
          dir,
          ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
        }),
      );
  });
  return dir;
}

if (import.meta.main) {
  await exampleMain("attention_sink", async (outDir, encoder) => {
    const dir = await runAttentionSinkExample({ outDir, encoder });
    console.log(`attention snapshots in ${dir}`);
  });
}
