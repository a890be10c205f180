/**
 * asmil: whole-slide images → attention-MIL slide classifiers, with every
 * epoch's attention in DuckDB.
 *
 * Compose your own pipeline from the stages (Web-Streams transforms), the
 * chain `asmil pipeline` runs: slides → tiles → embeddings → one bag source
 * (read from the store a slide at a time) → epoch events → report.
 *
 * ```ts ignore
 * import { BagStream, EmbedStream, openEncoder, openStore, ReportStream, TileStream, TrainStream, buildModel } from "./mod.ts";
 * const store = await openStore("runs/my.duckdb");
 * const encoder = await openEncoder("mobilenet_v2");
 * const [report] = await Array.fromAsync(ReadableStream.from(slides)
 *   .pipeThrough(new TileStream({ store, mpp: 0.5 }))
 *   .pipeThrough(new EmbedStream({ encoder, store }))
 *   .pipeThrough(new BagStream({ store, labels, splits }))
 *   .pipeThrough(new TrainStream({ runId: "r1", store, model: (infos) => buildModel("asmil", { inputDim: infos[0]!.dim, numClasses: 2 }) }))
 *   .pipeThrough(new ReportStream({ store, outDir: "out/r1", evaluate: { epoch: "best" } })));
 * console.log(report.html);
 * ```
 *
 * @module
 */

// Records flowing between stages, randomness, stage helpers.
export type {
  Bag,
  SlideRef,
  Split,
  Tile,
  TileEmbedding,
} from "./core/types.ts";
export { Rng } from "./core/random.ts";
export { ConcurrentMapStream } from "./core/concurrent_map_stream.ts";
export { Progress, type ProgressOptions } from "./core/progress.ts";
export {
  type Config,
  ConfigSchema,
  loadConfig,
  parseConfig,
} from "./pipeline/config.ts";

// The run store.
export {
  openStore,
  type OpenStoreOptions,
  type Row,
  Store,
  type StoreWriter,
} from "./data/store.ts";
export type * from "./data/records.ts";
export type {
  SlideLabel,
  SlideRow,
  StoredTile,
  TiledSlide,
} from "./data/slide_queries.ts";
export type {
  AttentionSnapshot,
  SnapshotFilter,
} from "./data/attention_queries.ts";
export type {
  LabelledPrediction,
  StoredRun,
} from "./data/evaluation_queries.ts";
export { MIGRATIONS, SCHEMA_VERSION } from "./data/schema.ts";
export { MACROS_SQL } from "./data/macros.ts";

// Data without slides.
export { type FeatureBagOptions, featureBags } from "./data/feature_bags.ts";
export {
  type SyntheticCohort,
  type SyntheticCohortOptions,
  writeSyntheticCohort,
} from "./data/synthetic/cohort.ts";

// Models and the tensor engine.
export type {
  ForwardOptions,
  ForwardOutput,
  LossOutput,
  MilModel,
  ModelOptions,
  OptimisationGroup,
} from "./models/mil_model.ts";
export { createModel, listModels, modelEntry } from "./models/all.ts";
export {
  type ModelEntry,
  type ModelFactory,
  registerModel,
} from "./models/registry.ts";
export {
  buildModel,
  type BuildOptions,
  buildOptionsOf,
  createAnchored,
} from "./models/anchor_factory.ts";
export {
  ANCHOR_DEFAULTS,
  ANCHOR_PRESETS,
  AnchoredModel,
  type AnchorOptions,
  type AnchorPreset,
  type AnchorSpec,
  resolveAnchorOptions,
} from "./models/anchor.ts";
export { anchorLoss, type AnchorLossOptions } from "./models/anchor_loss.ts";
export { anchorTarget } from "./models/anchor_target.ts";
export { normalizedSigmoid } from "./models/normalized_sigmoid.ts";
export { loadWeights, saveWeights } from "./models/weights.ts";
export {
  type BackendChoice,
  type BackendInfo,
  type BackendOptions,
  useBackend,
} from "./models/backend/mod.ts";

// Stages.
export { openSlide, type ReaderKind } from "./stages/tile/open_slide.ts";
export type { SlideReader } from "./stages/tile/slide_reader.ts";
export {
  type TissueMask,
  tissueMask,
  type TissueMaskOptions,
} from "./stages/tile/tissue_mask.ts";
export { tileGrid, type TileGridOptions } from "./stages/tile/tile_grid.ts";
export {
  type SlideTileResult,
  TileStream,
  type TileStreamOptions,
} from "./stages/tile/tile_stream.ts";
export * from "./stages/embed/mod.ts";
export { BagStream, type BagStreamOptions } from "./stages/bag/bag_stream.ts";
export { type BagOptions, makeBag } from "./stages/bag/make_bag.ts";
export {
  bagsFromStore,
  type BagsFromStoreOptions,
  StoreBagSource,
} from "./stages/bag/bags_from_store.ts";
export {
  type BagInfo,
  type BagSource,
  BagSourceStream,
  type BagSourceStreamOptions,
  cachedBagSource,
  memoryBagSource,
  withSplits,
} from "./stages/bag/bag_source.ts";
export {
  type LabelTable,
  parseLabelsCsv,
  parseSplitJson,
  readLabelsCsv,
} from "./stages/bag/labels.ts";
export { stratifiedKFold } from "./core/kfold.ts";
export {
  type EpochEvent,
  type SplitMetrics,
  trainModel,
  type TrainOptions,
} from "./stages/train/trainer.ts";
export { TRAIN_DEFAULTS } from "./stages/train/train_options.ts";
export { clipNormFor, type ClipScope } from "./stages/train/reference_clip.ts";
export {
  resolveSelection,
  type SelectionRule,
} from "./stages/evaluate/model_selection.ts";
export {
  evaluateBags,
  type SplitEvaluation,
} from "./stages/train/evaluate_bags.ts";
export {
  classCount,
  type TrainRun,
  type TrainRunFactory,
  TrainStream,
  type TrainStreamOptions,
} from "./stages/train/train_stream.ts";
export { AdamW, clipByGlobalNorm, cosineLr } from "./stages/train/adamw.ts";
export { attentionSnapshot } from "./stages/train/attention_snapshot.ts";
export * from "./stages/evaluate/mod.ts";
export {
  evaluateCommand,
  type EvaluateCommandOptions,
  evaluationSummary,
  parseEpochChoice,
  reportCommand,
  type ReportCommandOptions,
} from "./pipeline/commands/evaluate.ts";
