import assert from "node:assert/strict";
import {
  FeatureCohort,
  type FeatureCohortOptions,
  type FeatureSlide,
} from "./feature_cohort.ts";

const SMALL: FeatureCohortOptions = {
  slides: 30,
  minTiles: 300,
  maxTiles: 600,
  dim: 8,
  minTumourFraction: 0.01,
  maxTumourFraction: 0.08,
  seed: 11,
};

/** Tiles of `members` split into 4-connected components on the tile grid. */
function components(
  slide: FeatureSlide,
  members: Iterable<number>,
): number[][] {
  const size = 256;
  const key = (j: number) =>
    `${slide.coords[2 * j]! / size},${slide.coords[2 * j + 1]! / size}`;
  const byCell = new Map([...members].map((j) => [key(j), j]));
  const seen = new Set<number>(), out: number[][] = [];
  for (const start of byCell.values()) {
    if (seen.has(start)) continue;
    const part = [start];
    seen.add(start);
    for (let k = 0; k < part.length; k++) {
      const j = part[k]!;
      const x = slide.coords[2 * j]! / size,
        y = slide.coords[2 * j + 1]! / size;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const next = byCell.get(`${x + dx!},${y + dy!}`);
        if (next !== undefined && !seen.has(next)) {
          seen.add(next);
          part.push(next);
        }
      }
    }
    out.push(part);
  }
  return out;
}

const sumOf = (xs: Int8Array) => xs.reduce((s, x) => s + x, 0);

Deno.test("FeatureCohort() gives every slide N in range and positive slides a tumour fraction in range", () => {
  const cohort = new FeatureCohort(SMALL);
  let positives = 0;
  for (const slide of cohort) {
    assert.ok(slide.n >= 300 && slide.n <= 600, `n ${slide.n}`);
    assert.equal(slide.features.length, slide.n * 8);
    assert.equal(slide.coords.length, 2 * slide.n);
    const tumour = sumOf(slide.tileLabels);
    if (slide.label === 0) {
      assert.equal(tumour, 0, `${slide.slideId} is negative but has tumour`);
      assert.equal(slide.truth.blobs.length, 0);
      continue;
    }
    positives++;
    const fraction = tumour / slide.n;
    assert.ok(
      fraction >= 0.01 && fraction <= 0.08,
      `${slide.slideId}: tumour fraction ${fraction}`,
    );
    assert.equal(fraction, slide.truth.tumourFraction);
    assert.equal(
      slide.truth.blobs.reduce((s, b) => s + b.length, 0),
      tumour,
    );
  }
  assert.equal(positives, 15);
});

Deno.test("FeatureCohort() tumour blobs are each one connected set of grid cells, apart from each other", () => {
  const cohort = new FeatureCohort(SMALL);
  let blobs = 0;
  for (const slide of cohort) {
    for (const blob of slide.truth.blobs) {
      assert.equal(components(slide, blob).length, 1, slide.slideId);
      assert.ok(blob.every((j) => slide.tileLabels[j] === 1));
      blobs++;
    }
    const tumour = [...slide.tileLabels.keys()].filter((j) =>
      slide.tileLabels[j] === 1
    );
    assert.equal(
      components(slide, tumour).length,
      slide.truth.blobs.length,
      `${slide.slideId}: blobs touch`,
    );
  }
  assert.ok(blobs > 15, `only ${blobs} blobs`);
});

Deno.test("FeatureCohort() lays tiles out as one tissue-shaped piece, not a rectangle", () => {
  for (const slide of new FeatureCohort({ ...SMALL, slides: 6 })) {
    assert.equal(components(slide, slide.tileLabels.keys()).length, 1);
    const xs = [...slide.coords].filter((_, i) => i % 2 === 0);
    const ys = [...slide.coords].filter((_, i) => i % 2 === 1);
    const box = (Math.max(...xs) / 256 + 1) * (Math.max(...ys) / 256 + 1);
    assert.ok(slide.n < 0.9 * box, `${slide.n} tiles fill a ${box}-cell box`);
    assert.ok(xs.every((x) => x % 256 === 0) && Math.min(...xs) === 0);
  }
});

Deno.test("FeatureCohort() with the same seed is byte-identical, with another seed different", () => {
  const bytes = (s: FeatureSlide) =>
    [s.features, s.coords, s.tileLabels].map((a) =>
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
    );
  const a = [...new FeatureCohort(SMALL)].map(bytes);
  const b = [...new FeatureCohort(SMALL)].map(bytes);
  const c = [...new FeatureCohort({ ...SMALL, seed: 12 })].map(bytes);
  assert.deepEqual(a, b);
  for (let i = 0; i < a.length; i++) {
    assert.notDeepEqual(a[i]![0], c[i]![0], `slide ${i} features`);
  }
  assert.notDeepEqual(
    new FeatureCohort(SMALL).labels,
    new FeatureCohort({ ...SMALL, seed: 12 }).labels,
  );
});

Deno.test("FeatureCohort() gives every slide its own offset", () => {
  const offsets = [...new FeatureCohort({ ...SMALL, slides: 8 })].map((s) =>
    s.truth.offset
  );
  for (let i = 0; i < offsets.length; i++) {
    for (let k = 0; k < i; k++) {
      const distance = Math.hypot(
        ...offsets[i]!.map((v, d) => v - offsets[k]![d]!),
      );
      assert.ok(distance > 0.1, `slides ${k} and ${i}: ${distance}`);
    }
  }
});

Deno.test("FeatureCohort() makes slide k without making any other, and iterates one slide per step", () => {
  const made: number[] = [];
  class Counting extends FeatureCohort {
    override slide(index: number): FeatureSlide {
      made.push(index);
      return super.slide(index);
    }
  }
  const alone = new Counting(SMALL).slide(7);
  assert.deepEqual(made, [7]);
  made.length = 0;
  const iterator = new Counting(SMALL)[Symbol.iterator]();
  let seventh: FeatureSlide | undefined;
  for (let i = 0; i <= 7; i++) {
    seventh = iterator.next().value as FeatureSlide;
    assert.deepEqual(made, Array.from({ length: i + 1 }, (_, k) => k));
  }
  assert.deepEqual(seventh!.features, alone.features);
  assert.deepEqual(seventh!.tileLabels, alone.tileLabels);
});

Deno.test("FeatureCohort() shifts exactly the tumour tiles, by margin along a unit direction", () => {
  const shifted = new FeatureCohort({ ...SMALL, slides: 4, margin: 3 });
  const plain = new FeatureCohort({ ...SMALL, slides: 4, margin: 0 });
  for (let i = 0; i < 4; i++) {
    const a = shifted.slide(i), b = plain.slide(i);
    for (let j = 0; j < a.n; j++) {
      const row = (s: FeatureSlide) => s.features.subarray(j * 8, j * 8 + 8);
      const norm = Math.hypot(...row(a).map((v, d) => v - row(b)[d]!));
      assert.ok(
        Math.abs(norm - (a.tileLabels[j] ? 3 : 0)) < 1e-4,
        `slide ${i} tile ${j}: shift ${norm}`,
      );
    }
  }
});

Deno.test("FeatureCohort() splits each class 3:1:1 (stratified 5-fold, fold 0)", () => {
  const cohort = new FeatureCohort({
    ...SMALL,
    slides: 40,
    minTiles: 30,
    maxTiles: 40,
  });
  for (const label of [0, 1]) {
    const splits = cohort.splits.filter((_, i) => cohort.labels[i] === label);
    assert.equal(splits.length, 20);
    assert.equal(splits.filter((s) => s === "test").length, 4);
    assert.equal(splits.filter((s) => s === "val").length, 4);
  }
  assert.deepEqual(cohort.slide(3).split, cohort.splits[3]);
});

Deno.test("FeatureCohort() names the option that is out of range and its value", () => {
  assert.throws(
    () => new FeatureCohort({ minTiles: 500, maxTiles: 400 }),
    /option maxTiles must be an integer ≥ 500: current value is 400/,
  );
  assert.throws(
    () =>
      new FeatureCohort({ minTumourFraction: 0.1, maxTumourFraction: 0.05 }),
    /maxTumourFraction must be in \[minTumourFraction \(0.1\), 1\]: current value is 0.05/,
  );
  assert.throws(
    () => new FeatureCohort({ slides: 2 }).slide(2),
    /index must be an integer in \[0, 2\): current value is 2/,
  );
});

Deno.test("FeatureCohort() serves as a bag source: infos without generating, read() by slide id", async () => {
  const made: number[] = [];
  class Counting extends FeatureCohort {
    override slide(index: number): FeatureSlide {
      made.push(index);
      return super.slide(index);
    }
  }
  const cohort = new Counting(SMALL);
  const infos = cohort.infos;
  assert.deepEqual(made, []);
  const bag = await cohort.read(cohort.ids[4]!);
  assert.deepEqual(made, [4]);
  assert.deepEqual(infos[4], {
    slideId: bag.slideId,
    n: bag.n,
    dim: bag.dim,
    label: bag.label,
    split: bag.split,
  });
  await assert.rejects(() => cohort.read("nope"), /No slide "nope"/);
});
