import assert from "node:assert/strict";
import { Store } from "../../data/store.ts";
import { fakeSlides, writeFakeRun } from "../../testing/fake_run.ts";
import { withFakeRun } from "../../testing/with_fake_run.ts";
import { ReportStream } from "./report_stream.ts";

Deno.test("ReportStream evaluates every run in the epoch events and emits one report on close", async () => {
  await withFakeRun({
    run: "a",
    slides: 6,
    epochs: 3,
    seed: 1,
  }, async ({ store, dir }) => {
    await writeFakeRun(store, {
      run: "b",
      slides: fakeSlides(6),
      epochs: 3,
      seed: 2,
    });
    const events = [0, 1, 2].flatMap((
      epoch,
    ) => [{ run: "a", epoch }, { run: "b", epoch }]);
    const out = await Array.fromAsync(
      ReadableStream.from(events).pipeThrough(
        new ReportStream({
          store,
          outDir: (runs) => `${dir}/${runs.join("+")}`,
          heatmapSlides: 1,
          evaluate: { bootstrap: { resamples: 50 } },
        }),
      ),
    );
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.evaluations.map((e) => e.run.id), ["a", "b"]);
    assert.equal(out[0]!.html, `${dir}/a+b/report.html`);
    assert.match(await Deno.readTextFile(out[0]!.html), /id="run-b"/);
    const [row] = await store.query(
      "SELECT count(DISTINCT run) AS n FROM metrics WHERE name = 'auc'",
    );
    assert.equal(row!.n, 2);
  });
});

Deno.test("ReportStream emits nothing for no events and rejects events without a run id", async () => {
  const store = await Store.open(":memory:");
  const none = await Array.fromAsync(
    ReadableStream.from([] as { run: string }[]).pipeThrough(
      new ReportStream({ store, outDir: "unused" }),
    ),
  );
  assert.deepEqual(none, []);
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([{ epoch: 1 } as unknown as { run: string }])
        .pipeThrough(
          new ReportStream({ store, outDir: "unused" }),
        ),
    ),
    /expects events with a run id: got \{"epoch":1\}/,
  );
  store.close();
});
