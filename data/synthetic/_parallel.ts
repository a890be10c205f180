/**
 * Writes synthetic slides on a small pool of workers (painting is
 * single-threaded JavaScript, so one worker per core), keeping results in
 * job order. Each slide's seed is fixed before it is dispatched, so the
 * output does not depend on the pool size.
 *
 * @module
 */

import {
  type SyntheticSlideFiles,
  type SyntheticSlideOptions,
  writeSyntheticSlide,
} from "./synthetic_slide.ts";

function callWorker(
  worker: Worker,
  job: SyntheticSlideOptions,
): Promise<SyntheticSlideFiles> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (
      event: MessageEvent<{ files?: SyntheticSlideFiles; error?: string }>,
    ) => {
      if (event.data.files) resolve(event.data.files);
      else {reject(
          new Error(
            `Cannot write synthetic slide "${job.id}": ${event.data.error}`,
          ),
        );}
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(
        new Error(
          `Cannot write synthetic slide "${job.id}": worker failed: ${event.message}`,
        ),
      );
    };
    worker.postMessage(job);
  });
}

/**
 * Writes every job, `concurrency` at a time (1 = in this thread), calling
 * `onSlide` as each finishes; returns the files in job order.
 */
export async function writeSlides(
  jobs: readonly SyntheticSlideOptions[],
  concurrency: number,
  onSlide?: (slide: SyntheticSlideFiles, done: number) => void,
): Promise<SyntheticSlideFiles[]> {
  const results: SyntheticSlideFiles[] = new Array(jobs.length);
  let next = 0, done = 0;
  const finished = (i: number, files: SyntheticSlideFiles) => {
    results[i] = files;
    onSlide?.(files, done++);
  };
  if (concurrency <= 1 || jobs.length <= 1) {
    for (const [i, job] of jobs.entries()) {
      finished(i, await writeSyntheticSlide(job));
    }
    return results;
  }
  const url = new URL("./_slide_worker.ts", import.meta.url);
  const workers = Array.from(
    { length: Math.min(concurrency, jobs.length) },
    () => new Worker(url, { type: "module" }),
  );
  try {
    await Promise.all(workers.map(async (worker) => {
      while (next < jobs.length) {
        const i = next++;
        finished(i, await callWorker(worker, jobs[i] as SyntheticSlideOptions));
      }
    }));
  } finally {
    for (const worker of workers) worker.terminate();
  }
  return results;
}
