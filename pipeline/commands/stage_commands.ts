/**
 * Registers the single-stage commands: `synth`, `tile`, `embed`,
 * `import-features` and `export-features`. Each loads its stage on demand.
 *
 * @module
 */
import { type CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { commandContext, type GlobalOptions } from "../cli_context.ts";
import { parseInteger, parseNumber } from "../cli_args.ts";
import type { SlideRef } from "../types.ts";

/** Adds the stage commands to `program`. */
export function registerStageCommands(
  program: CommandUnknownOpts,
  globals: () => GlobalOptions,
): void {
  program
    .command("synth")
    .description(
      "write the synthetic slide cohort (TIFF slides, labels.csv, ground truth)",
    )
    .requiredOption("--out <dir>", "output folder")
    .option(
      "--slides <n>",
      "number of slides (default 28)",
      parseInteger("--slides"),
    )
    .option("--force", "rewrite even when a matching cohort exists")
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const { synthCommand } = await import("../../data/synthetic/cohort.ts");
      await synthCommand({
        out: o.out,
        seed: ctx.config.seed,
        ...(o.slides !== undefined ? { slides: o.slides } : {}),
        ...(o.force ? { force: true } : {}),
        log: (line) => ctx.info(line),
      });
    });

  program
    .command("tile")
    .description(
      "tile slides into the run store (tissue detection, grid, QC images)",
    )
    .requiredOption(
      "--slides <dir|csv>",
      "a folder of slides or a CSV (slide_id[,path,label,split,mpp])",
    )
    .option(
      "--labels <csv>",
      "labels CSV (slide_id,label[,split]) stored with the slides",
    )
    .option(
      "--tile-size <px>",
      "tile side in output pixels",
      parseInteger("--tile-size"),
    )
    .option(
      "--mpp <x>",
      "target microns per pixel of the tiles",
      parseNumber("--mpp"),
    )
    .option(
      "--magnification <x>",
      "target magnification instead of --mpp",
      parseNumber("--magnification"),
    )
    .option(
      "--overlap <px>",
      "overlap between tiles",
      parseInteger("--overlap"),
    )
    .option(
      "--min-tissue <f>",
      "minimum tissue fraction of a kept tile",
      parseNumber("--min-tissue"),
    )
    .addOption(
      new Option("--reader <kind>", "slide reader").choices(
        ["auto", "openslide", "sharp"] as const,
      ),
    )
    .option(
      "--slide-mpp <x>",
      "level-0 MPP for slides whose file has none",
      parseNumber("--slide-mpp"),
    )
    .option("--mpp-csv <csv>", "per-slide level-0 MPP (slide_id,mpp)")
    .option("--qc <dir>", "folder for tissue-mask QC images")
    .option("--fail-fast", "stop at the first failed slide")
    .addOption(
      new Option(
        "--rerun <mode>",
        "slides already tiled with the same parameters",
      ).choices(["skip", "reuse", "redo"] as const),
    )
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const t = ctx.config.tile;
      const { tileSlides } = await import("../../stages/tile/tile_slides.ts");
      const { listSlides } = await import("../../stages/tile/slide_list.ts");
      const slides = await withLabels(
        await listSlides(o.slides),
        o.labels ?? ctx.config.labels,
      );
      const store = await ctx.openStore();
      const progress = ctx.progress("tile", {
        total: slides.length,
        unit: "slides",
      });
      try {
        const summary = await tileSlides({
          slides,
          db: store,
          tileSize: o.tileSize ?? t.tileSize,
          overlap: o.overlap ?? t.overlap,
          minTissue: o.minTissue ?? t.minTissue,
          reader: o.reader ?? t.reader,
          ...(o.magnification ?? t.magnification
            ? { magnification: (o.magnification ?? t.magnification) as number }
            : { mpp: o.mpp ?? t.mpp ?? 0.5 }),
          ...(o.slideMpp !== undefined ? { mppOverride: o.slideMpp } : {}),
          ...(o.mppCsv !== undefined ? { mppCsv: o.mppCsv } : {}),
          ...(o.qc !== undefined ? { qcDir: o.qc } : {}),
          ...(o.rerun !== undefined ? { rerun: o.rerun } : {}),
          failFast: o.failFast ?? false,
          onSlide: (r) => {
            if (r.status === "failed") progress.log(`tile: ${r.error}`);
            progress.tick(1, `${r.slideId}: ${r.status} (${r.tiles} tiles)`);
          },
          warn: (m) => progress.log(m),
        });
        progress.done();
        const by = (s: string) =>
          summary.results.filter((r) => r.status === s).length;
        console.log(
          `${summary.tiles} tiles from ${slides.length} slides (${
            by("tiled")
          } tiled, ${by("skipped")} skipped, ${
            by("empty")
          } without tissue, ${summary.failed} failed) at ${
            summary.tilesPerSecond.toFixed(0)
          } tiles/s`,
        );
      } finally {
        store.close();
      }
    });

  program
    .command("embed")
    .description("embed the tiles of every tiled slide in the store")
    .option(
      "--encoder <name|onnx>",
      "mobilenet_v2 (default) or an ONNX image model",
    )
    .option(
      "--batch-size <n>",
      "tiles per inference call",
      parseInteger("--batch-size"),
    )
    .option("--threads <n>", "inference threads", parseInteger("--threads"))
    .option(
      "--input-size <px>",
      "ONNX model input side",
      parseInteger("--input-size"),
    )
    .option("--name <name>", "name to store an ONNX encoder's embeddings under")
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const e = ctx.config.embed;
      const { embedSlides } = await import(
        "../../stages/embed/embed_slides.ts"
      );
      const { openEncoder } = await import(
        "../../stages/embed/open_encoder.ts"
      );
      const { TileStream } = await import("../../stages/tile/tile_stream.ts");
      const threads = o.threads ?? e.threads;
      const encoder = await openEncoder(o.encoder ?? e.encoder, {
        ...(threads ? { threads } : {}),
        ...(o.inputSize !== undefined ? { inputSize: o.inputSize } : {}),
        ...(o.name !== undefined ? { name: o.name } : {}),
      });
      const store = await ctx.openStore();
      try {
        const tiled = await store.query(
          `SELECT id, path, EXISTS (SELECT 1 FROM embeddings e
             WHERE e.slide = s.id AND e.encoder = ?) AS done
           FROM slides s WHERE status = 'tiled' ORDER BY id`,
          [encoder.name],
        );
        if (tiled.length === 0) {
          throw new Error(
            `No tiled slides in ${ctx.db}: run \`asmil tile\` first`,
          );
        }
        // Slides already embedded with this encoder are not read again.
        const slides = tiled.filter((r) => !r.done).map((r) => ({
          id: String(r.id),
          path: String(r.path),
        }));
        const progress = ctx.progress("embed", {
          total: slides.length,
          unit: "slides",
        });
        // Pixels are re-read at the stored coordinates; tissue detection is not redone.
        const tiles = ReadableStream.from(slides).pipeThrough(
          new TileStream({
            store,
            rerun: "reuse",
            tileSize: ctx.config.tile.tileSize,
            warn: (m) => progress.log(m),
          }),
        );
        const summary = await embedSlides({
          tiles,
          store,
          encoder: o.encoder ?? e.encoder,
          batchSize: o.batchSize ?? e.batchSize,
          ...(o.threads ?? e.threads
            ? { threads: (o.threads ?? e.threads) as number }
            : {}),
          ...(o.inputSize !== undefined ? { inputSize: o.inputSize } : {}),
          ...(o.name !== undefined ? { name: o.name } : {}),
          onSlide: (ev) => {
            if (ev.status === "failed") progress.log(`embed: ${ev.error}`);
            progress.tick(1, `${ev.slideId}: ${ev.status}`);
          },
        });
        progress.done();
        console.log(
          `${summary.tiles} tiles embedded with ${summary.encoder} (${summary.dim}-d) in ${
            summary.seconds.toFixed(1)
          } s; ${summary.embedded.length} slides embedded, ${
            tiled.length - slides.length
          } already done, ${summary.failed.length} failed`,
        );
      } finally {
        store.close();
        await encoder.close();
      }
    });

  program
    .command("import-features")
    .description(
      "import CLAM / TRIDENT per-slide .h5 or the ACMIL/ASMIL single .h5 into the store",
    )
    .argument("<files...>", ".h5 files")
    .addOption(
      new Option("--format <format>", "file layout").choices(
        ["clam", "trident", "acmil"] as const,
      ).makeOptionMandatory(),
    )
    .option("--labels <csv>", "labels CSV (slide_id,label[,split])")
    .option("--encoder <name>", "name to store the features under")
    .option(
      "--patch-size <px>",
      "tile extent in level-0 pixels when the file has none",
      parseInteger("--patch-size"),
    )
    .option("--overwrite", "re-import slides already in the store")
    .action(async (files, o) => {
      const ctx = await commandContext(globals());
      const { importFeatures } = await import(
        "../../stages/embed/import_features.ts"
      );
      const store = await ctx.openStore();
      try {
        const s = await importFeatures({
          files,
          format: o.format,
          store,
          ...(o.labels ?? ctx.config.labels
            ? { labels: (o.labels ?? ctx.config.labels) as string }
            : {}),
          ...(o.encoder !== undefined ? { encoder: o.encoder } : {}),
          ...(o.patchSize !== undefined ? { patchSize: o.patchSize } : {}),
          ...(o.overwrite ? { overwrite: true } : {}),
        });
        console.log(
          `imported ${s.imported.length} slides (${s.tiles} tiles, ${s.dim}-d) as encoder "${s.encoder}"; ${s.skipped.length} already present`,
        );
      } finally {
        store.close();
      }
    });

  program
    .command("export-features")
    .description("export stored embeddings")
    .requiredOption("--out <file>", "output file")
    .addOption(
      new Option("--format <format>", "file format").choices(
        ["parquet"] as const,
      ).default("parquet" as const),
    )
    .option("--encoder <name>", "only this encoder's embeddings")
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const { exportFeatures } = await import(
        "../../stages/embed/export_features.ts"
      );
      const store = await ctx.openStore();
      try {
        const rows = await exportFeatures({
          store,
          format: o.format,
          out: o.out,
          ...(o.encoder !== undefined ? { encoder: o.encoder } : {}),
        });
        console.log(`${rows} rows written to ${o.out}`);
      } finally {
        store.close();
      }
    });
}

/** Attaches labels (and splits) from a labels CSV to slide refs. */
async function withLabels(
  slides: SlideRef[],
  labelsPath: string | undefined,
): Promise<SlideRef[]> {
  if (!labelsPath) return slides;
  const { labelSlides, readLabelsCsv } = await import(
    "../../stages/bag/labels.ts"
  );
  return labelSlides(slides, await readLabelsCsv(labelsPath));
}
