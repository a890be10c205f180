/**
 * The built-in synthetic H&E cohort: planning, painting and writing slides
 * as Aperio-style TIFFs with labels and per-slide ground truth.
 *
 * @module
 */

export {
  DEFAULT_COHORT_SLIDES,
  synthCommand,
  type SynthCommandOptions,
  type SyntheticCohort,
  type SyntheticCohortOptions,
  writeSyntheticCohort,
} from "./cohort.ts";
export {
  aperioDescription,
  type SyntheticSlideFiles,
  type SyntheticSlideOptions,
  type SyntheticSlideTruth,
  writeSyntheticSlide,
} from "./synthetic_slide.ts";
export {
  PLAN_SCALE,
  planSlide,
  type SlidePlan,
  type SlidePlanOptions,
} from "./slide_plan.ts";
export { paintSlide } from "./slide_painter.ts";
export { withImageDescription } from "./image_description.ts";
