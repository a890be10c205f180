/**
 * The evaluate stage: classification metrics with bootstrap intervals,
 * attention stability (TypeScript and SQL), localisation, heatmaps, plots
 * and the HTML/Markdown report (the `asmil evaluate` / `asmil report`
 * commands are in pipeline/commands/evaluate.ts).
 *
 * @module
 */

export {
  binaryAuc,
  bootstrapMetrics,
  type BootstrapOptions,
  type ClassificationMetrics,
  classificationMetrics,
  type Interval,
  type MetricsWithCi,
  type Predictions,
  quantile,
  rocAuc,
} from "./metrics.ts";
export {
  chooseEpoch,
  computeRunMetrics,
  type EpochChoice,
  epochMetrics,
  type EpochSplitMetrics,
  metricRecords,
  type RunMetricsOptions,
  type SplitResult,
} from "./run_metrics.ts";
export {
  type BestEpoch,
  bestEpochAfter,
  NO_BEST_EPOCH,
  selectionScore,
} from "./model_selection.ts";
export {
  attentionEntropy,
  averageRanks,
  type Distribution,
  effectivePatches,
  jsDivergence,
  localisationAuc,
  spearmanRank,
  topkIndices,
  topkOverlap,
  uniform,
} from "./attention_measures.ts";
export {
  type AttentionSnapshot,
  DEFAULT_SETTLING_THRESHOLD,
  DEFAULT_TOPK,
  lastHalf,
  loadSlideStability,
  type RunStability,
  runStability,
  type SlideEpochStability,
  slideStability,
  slideSummaries,
  type SlideSummary,
} from "./stability.ts";
export {
  installStabilitySql,
  STABILITY_SQL,
} from "../../data/stability_sql.ts";
export {
  loadLocalisation,
  meanLocalisationByEpoch,
  type SlideLocalisation,
} from "./localisation.ts";
export { areaUnder, rocCurve, rocCurves, type RocPoint } from "./roc_curve.ts";
export {
  type CurvePoint,
  learningCurveSpec,
  type RocSeries,
  rocSpec,
  stabilitySpec,
} from "./plot_specs.ts";
export { renderPng, renderSvg, svgToPng } from "./render_plot.ts";
export { attentionColour } from "./colour_map.ts";
export {
  type HeatmapBase,
  type HeatmapOptions,
  type HeatmapTile,
  percentileNormalise,
  renderHeatmap,
} from "./heatmap.ts";
export {
  type SlideHeatmap,
  slideHeatmap,
  type SlideHeatmapOptions,
  type TopTile,
} from "./slide_heatmap.ts";
export {
  evaluateRun,
  type EvaluateRunOptions,
  type RunEvaluation,
  type RunInfo,
  runInfo,
  stabilityRecords,
} from "./evaluate_run.ts";
export {
  writeReport,
  type WriteReportOptions,
  type WrittenReport,
} from "./report.ts";
export { ReportStream, type ReportStreamOptions } from "./report_stream.ts";
export {
  findChromium,
  type ScreenshotOptions,
  screenshotPage,
} from "./screenshot.ts";
