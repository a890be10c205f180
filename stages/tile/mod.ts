/**
 * The tile stage: slide readers (OpenSlide through FFI, sharp for tiled
 * TIFF) behind one interface, tissue detection, the tile grid, ground-truth
 * tile labels, the `TileStream` stage and `tileSlides` for `asmil tile`.
 *
 * @module
 */

export {
  bestLevelForDownsample,
  type LevelDimensions,
  type RgbImage,
  type SlideReader,
  SlideReadError,
  type SlideThumbnail,
} from "./slide_reader.ts";
export {
  openSlideAvailable,
  OpenSlideReader,
  openSlideVersion,
} from "./openslide_reader.ts";
export { SharpReader } from "./sharp_reader.ts";
export {
  openSlide,
  type OpenSlideOptions,
  type ReaderKind,
  resolveReaderKind,
} from "./open_slide.ts";
export {
  otsuThreshold,
  type TissueMask,
  tissueMask,
  type TissueMaskOptions,
} from "./tissue_mask.ts";
export { writeTissueQc } from "./tissue_qc.ts";
export {
  type GridTile,
  type SlideGeometry,
  type TileGrid,
  tileGrid,
  type TileGridOptions,
} from "./tile_grid.ts";
export {
  readMppCsv,
  type ScaleOverrides,
  type SlideScale,
  slideScale,
} from "./slide_scale.ts";
export {
  loadTumourMask,
  tileLabel,
  tumourFraction,
  type TumourMask,
  tumourMaskPath,
} from "./ground_truth.ts";
export { listSlides, readSlideCsv, SLIDE_EXTENSIONS } from "./slide_list.ts";
export {
  describeLabelChange,
  type LabelChange,
  relabelSlides,
} from "./relabel_slides.ts";
export {
  type SlideTileResult,
  TileStream,
  type TileStreamOptions,
} from "./tile_stream.ts";
export { tileParamsKey } from "./tile_options.ts";
export {
  tileSlides,
  type TileSlidesOptions,
  type TileSlidesSummary,
} from "./tile_slides.ts";
