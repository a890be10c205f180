import assert from "node:assert/strict";
import sharp from "sharp";
import { withImageDescription } from "./image_description.ts";
import { readTiffLayout, tagNumbers, tagText } from "../tiff_tags.ts";

Deno.test("withImageDescription() adds the description to page 0 and keeps every other tag and page", async () => {
  const tiff = new Uint8Array(
    await sharp({
      create: { width: 600, height: 400, channels: 3, background: "#c08090" },
    })
      .tiff({ tile: true, pyramid: true, compression: "jpeg" }).toBuffer(),
  );
  const before = readTiffLayout(tiff, "in.tiff");
  const text = "Aperio Image Library v12\r\n600x400|AppMag = 20|MPP = 0.5";
  const out = withImageDescription(tiff, text, "in.tiff");
  const after = readTiffLayout(out, "out.tiff");
  assert.equal(after.directories.length, before.directories.length);
  const first = after.directories[0]!;
  assert.equal(tagText(out, first.tags.get(270)!), text);
  for (const [tag, entry] of before.directories[0]!.tags) {
    assert.deepEqual(
      tagNumbers(out, after, first.tags.get(tag)!),
      tagNumbers(tiff, before, entry),
      `tag ${tag}`,
    );
  }
  const tags = [...first.tags.keys()];
  assert.deepEqual(
    tags,
    [...tags].sort((a, b) => a - b),
    "IFD entries stay sorted",
  );
  const again = withImageDescription(out, "second", "out.tiff");
  assert.equal(
    tagText(again, readTiffLayout(again, "x").directories[0]!.tags.get(270)!),
    "second",
  );
});

Deno.test("withImageDescription() refuses a file that is not a TIFF, naming it", () => {
  assert.throws(
    () =>
      withImageDescription(
        new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
        "x",
        "photo.png",
      ),
    /photo\.png.*byte order/,
  );
});
