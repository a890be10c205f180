import assert from "node:assert/strict";
import { join } from "node:path";
import { listSlides } from "./slide_list.ts";

Deno.test("listSlides() lists slide files in a folder with labels from its labels.csv", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["b.svs", "a.tiff", "a.tumour.png", "notes.txt"]) {
      await Deno.writeTextFile(join(dir, name), "");
    }
    await Deno.writeTextFile(
      join(dir, "labels.csv"),
      "slide_id,label\na,1\nb,0\n",
    );
    assert.deepEqual(await listSlides(dir), [
      { id: "a", path: join(dir, "a.tiff"), label: 1 },
      { id: "b", path: join(dir, "b.svs"), label: 0 },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listSlides() reads a CSV with paths, splits and MPP, and finds slides by id when there is no path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "x.svs"), "");
    await Deno.writeTextFile(
      join(dir, "with_paths.csv"),
      "slide_id,path,label,split,mpp\ns1,/data/s1.ndpi,tumour,test,0.25\n",
    );
    assert.deepEqual(await listSlides(join(dir, "with_paths.csv")), [
      {
        id: "s1",
        path: "/data/s1.ndpi",
        label: "tumour",
        split: "test",
        mpp: 0.25,
      },
    ]);
    await Deno.writeTextFile(
      join(dir, "ids.csv"),
      "slide_id,label\nx,1\ny,0\n",
    );
    const slides = await listSlides(join(dir, "ids.csv"));
    assert.deepEqual(slides.map((s) => s.path), [
      join(dir, "x.svs"),
      join(dir, "y"),
    ]);
    await Deno.writeTextFile(
      join(dir, "bad.csv"),
      "slide_id,split\nx,holdout\n",
    );
    await assert.rejects(
      listSlides(join(dir, "bad.csv")),
      /line 2 has split "holdout"/,
    );
    await assert.rejects(listSlides(join(dir, "nope")), /does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listSlides() follows links to slide files and reports entries named like slides that are not files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.svs"), "");
    await Deno.mkdir(join(dir, "x.svs"));
    await Deno.symlink(join(dir, "a.svs"), join(dir, "linked.tiff"));
    await Deno.symlink(join(dir, "gone.svs"), join(dir, "broken.svs"));
    await Deno.symlink(join(dir, "x.svs"), join(dir, "folder.ndpi"));
    const skipped: string[] = [];
    const slides = await listSlides(dir, {
      onSkip: (e) => skipped.push(`${e.path}: ${e.reason}`),
    });
    assert.deepEqual(slides.map((s) => s.id), ["a", "linked"]);
    assert.deepEqual(skipped, [
      `${join(dir, "broken.svs")}: a link whose target does not exist`,
      `${join(dir, "folder.ndpi")}: a link to a folder, not a slide file`,
      `${join(dir, "x.svs")}: a folder, not a slide file`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
