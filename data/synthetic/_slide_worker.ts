/**
 * Worker entry: writes one synthetic slide per message (see `_parallel.ts`).
 *
 * @module
 */

import {
  type SyntheticSlideOptions,
  writeSyntheticSlide,
} from "./synthetic_slide.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<SyntheticSlideOptions>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  try {
    scope.postMessage({ files: await writeSyntheticSlide(event.data) });
  } catch (error) {
    scope.postMessage({
      error: error instanceof Error ? error.message : String(error),
    });
  }
};
