/**
 * The built-in demo's settings: the synthetic cohort that `asmil pipeline`
 * and `asmil experiment --data synthetic` use when no slides are given,
 * and the training settings of the pipeline's demo run.
 *
 * @module
 */
import type { SyntheticCohortChoice } from "./tile_and_embed.ts";

/**
 * Settings of the built-in demo (the synthetic cohort, no `--config`),
 * where they differ from the reference protocol's; the pipeline's summary
 * states them. The experiment command's `synthetic` source is the same
 * cohort.
 */
export const DEMO = {
  /**
   * The built-in synthetic cohort (`asmil synth`'s defaults are fewer,
   * larger slides with smaller, subtler tumours). Many small slides
   * (≈ 22 tissue tiles each) rather than a few large ones: the same tiles
   * make more bags, which is what slide-level training learns from, and a
   * 20-slide test split.
   */
  cohort: {
    slides: 96,
    sides: [1536, 2048, 2560],
    /** Tumour area over tissue area of a positive slide (log-uniform). */
    tumourFraction: [0.05, 0.3],
    /** Tumour grade of a positive slide: 0 benign-looking, 1 most atypical. */
    tumourGrade: [0.35, 1],
  } as {
    slides: number;
    sides: readonly number[];
    tumourFraction: readonly [number, number];
    tumourGrade: readonly [number, number];
  },
  /** Epochs (the protocol's 50 would not fit in five minutes on 2 cores). */
  epochs: 20,
  /**
   * AdamW learning rate of every model (the protocol's is 1e-4). ASMIL
   * with innerDim 128 needs it: at 1e-4 its query tokens, which start at
   * N(0, 1e-6), leave its attention uniform through all 20 epochs, and it
   * classifies by the mean of every tile.
   */
  lr: 5e-4,
  /**
   * ASMIL's width after dimension reduction. Its default, half the feature
   * width (640 for MobileNetV2's 1280), learns this cohort at lr 1e-4 but
   * one step costs ≈ 5× as much on the wasm backend (9 M weights, an EMA
   * copy and AdamW moments each step), which does not fit the five
   * minutes; at lr 5e-4 it does not learn. 128 is the reference code's
   * width for 384-d ViT-S features.
   */
  asmilOptions: { innerDim: 128 } as Record<string, unknown>,
} as const;

/**
 * The demo cohort as the pipeline's first half takes it, with `slides`
 * slides (default the demo's 96).
 *
 * @example
 * ```ts
 * import { demoCohort } from "./demo.ts";
 * if (demoCohort(6).syntheticSlides !== 6) throw new Error();
 * ```
 */
export function demoCohort(
  slides: number = DEMO.cohort.slides,
): SyntheticCohortChoice {
  const c = DEMO.cohort;
  return {
    syntheticSlides: slides,
    syntheticSides: c.sides,
    syntheticTumour: {
      tumourFraction: c.tumourFraction,
      tumourGrade: c.tumourGrade,
    },
  };
}
