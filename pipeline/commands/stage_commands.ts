/**
 * Registers the single-stage commands: `synth`, `tile`, `embed`,
 * `import-features` and `export-features`. Each loads its stage on demand.
 *
 * @module
 */
import { Option } from "@commander-js/extra-typings";
import { commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";
import { described, showDefaults, showDefaultsWhenRun } from "../cli_args.ts";
import { integerOption } from "../numeric_option.ts";
import { CONFIG_DEFAULTS } from "../config.ts";
import { registerTile } from "./tile_command.ts";
import { SHARD_DEFAULT, SHARD_HELP, shardTarget } from "./_shard_option.ts";
import { inShard, resolveShard } from "../../core/shard.ts";

/** Adds the stage commands to `program`. */
export const registerStageCommands: RegisterCommand = (program, globals) => {
  const synth = program
    .command("synth")
    .description(
      "write the synthetic slide cohort (TIFF slides, labels.csv, ground truth)",
    )
    .requiredOption("--out <dir>", "output folder")
    .addOption(integerOption("--slides <n>", "number of slides", { min: 1 }))
    .option("--force", "rewrite even when a matching cohort exists")
    .option(
      "--shard <i/n|none>",
      "write only shard i of n of the slides (with the whole labels.csv); the shard that completes the set writes cohort.json",
    )
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const { synthCommand } = await import("../../data/synthetic/cohort.ts");
      const shard = resolveShard(o.shard);
      await synthCommand({
        out: o.out,
        seed: ctx.config.seed,
        ...(o.slides !== undefined ? { slides: o.slides } : {}),
        ...(o.force ? { force: true } : {}),
        ...(shard ? { shard } : {}),
        log: (line) => ctx.info(line),
      });
    });
  showDefaultsWhenRun(program, synth, async () => ({
    slides: (await import("../../data/synthetic/cohort.ts"))
      .DEFAULT_COHORT_SLIDES,
    shard: described(SHARD_DEFAULT),
  }));

  registerTile(program, globals);

  const embed = program
    .command("embed")
    .description("embed the tiles of every tiled slide in the store")
    .option(
      "--encoder <name|onnx>",
      "mobilenet_v2 (built in, offline) or the path of an ONNX image model",
    )
    .addOption(
      integerOption("--batch-size <n>", "tiles per inference call", { min: 1 }),
    )
    .addOption(integerOption("--threads <n>", "inference threads", { min: 1 }))
    .addOption(
      integerOption(
        "--input-size <px>",
        "ONNX model input side (the built-in encoder knows its own)",
        { min: 1 },
      ),
    )
    .option("--name <name>", "name to store an ONNX encoder's embeddings under")
    .addOption(
      new Option(
        "--device <name>",
        "where the encoder runs (webgpu: the GPU, onnxruntime-web; the cpu, saying why, where WebGPU has no adapter)",
      ).choices(["cpu", "webgpu"] as const),
    )
    .option("--shard <i/n|none>", SHARD_HELP)
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const target = shardTarget(ctx, o.shard);
      const e = ctx.config.embed;
      const threads = o.threads ?? e.threads;
      const inputSize = o.inputSize ?? e.inputSize;
      const { embedSlides } = await import(
        "../../stages/embed/embed_slides.ts"
      );
      const { openEncoder } = await import(
        "../../stages/embed/open_encoder.ts"
      );
      const { TileStream } = await import("../../stages/tile/tile_stream.ts");
      const encoder = await openEncoder(o.encoder ?? e.encoder, {
        threads,
        inputSize,
        device: o.device ?? e.device,
        ...(o.name !== undefined ? { name: o.name } : {}),
      });
      const store = await ctx.openStore(target.db);
      try {
        if (target.shard) {
          // A cohort tiled in one process, embedded in shards: the shard's
          // slides and tiles come from the main store first.
          const { seedShardStore } = await import("../../data/merge_stores.ts");
          const copied = await seedShardStore(
            store,
            ctx.db,
            (id: string) => inShard([id], target.shard, (x) => x).length === 1,
          );
          if (copied > 0) {
            ctx.info(`copied ${copied} tiled slides from ${ctx.db}`);
          }
        }
        const tiled = await store.tiledSlides(encoder.name);
        if (tiled.length === 0 && !target.shard) {
          throw new Error(
            `No tiled slides in ${ctx.db}: run \`asmil tile\` first`,
          );
        }
        // Slides already embedded with this encoder are not read again.
        const slides = tiled.filter((r) => !r.embedded).map((r) => ({
          id: r.id,
          path: r.path,
        }));
        const progress = ctx.progress("embed", {
          total: slides.length,
          unit: "slides",
        });
        // Pixels are re-read at the stored coordinates, whatever options
        // the slides were tiled with; tissue detection is not redone.
        const tiles = ReadableStream.from(slides).pipeThrough(
          new TileStream({
            store,
            rerun: "stored",
            tileSize: ctx.config.tile.tileSize,
            warn: (m) => progress.log(m),
          }),
        );
        // The encoder opened above, not a second session of the same model.
        const summary = await embedSlides({
          tiles,
          store,
          encoder,
          batchSize: o.batchSize ?? e.batchSize,
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
  const e = CONFIG_DEFAULTS.embed;
  showDefaults(embed, {
    encoder: e.encoder,
    batchSize: e.batchSize,
    threads: e.threads,
    inputSize: e.inputSize,
    device: e.device,
    name: described("the model file's stem"),
    shard: described(SHARD_DEFAULT),
  });

  const importer = program
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
    .addOption(
      integerOption(
        "--patch-size <px>",
        "tile extent in level-0 pixels when the file has none",
        { min: 1 },
      ),
    )
    .option("--overwrite", "re-import slides already in the store")
    .option("--shard <i/n|none>", SHARD_HELP)
    .action(async (files, o) => {
      const ctx = await commandContext(globals());
      const target = shardTarget(ctx, o.shard);
      const { importFeatures } = await import(
        "../../stages/embed/import_features.ts"
      );
      const store = await ctx.openStore(target.db);
      try {
        const s = await importFeatures({
          files,
          ...(target.shard ? { shard: target.shard } : {}),
          format: o.format,
          store,
          ...(o.labels ?? ctx.config.labels
            ? { labels: (o.labels ?? ctx.config.labels) as string }
            : {}),
          ...(o.encoder !== undefined ? { encoder: o.encoder } : {}),
          ...(o.patchSize !== undefined ? { patchSize: o.patchSize } : {}),
          ...(o.overwrite ? { overwrite: true } : {}),
        });
        for (const f of s.failed) ctx.info(`import-features: ${f.error}`);
        console.log(
          `imported ${s.imported.length} slides (${s.tiles} tiles, ${s.dim}-d) as encoder "${s.encoder}"; ${s.skipped.length} already present, ${s.failed.length} failed`,
        );
        if (s.failed.length > 0) {
          throw new Error(
            `${s.failed.length} slide(s) not imported (recorded in failures): ${
              s.failed.map((f) => f.slide).join(", ")
            }`,
          );
        }
      } finally {
        store.close();
      }
    });
  showDefaults(importer, {
    labels: described("none: labels in the files, if any"),
    encoder: described("the TRIDENT folder's encoder, else the format"),
    patchSize: described("the file's, else 256"),
    shard: described(SHARD_DEFAULT),
  });

  const exporter = program
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
  showDefaults(exporter, { encoder: described("every encoder") });
};
