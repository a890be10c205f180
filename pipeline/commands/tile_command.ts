/**
 * Registers `asmil tile`: slides into the run store, with tissue QC images
 * beside it unless turned off.
 *
 * @module
 */
import { Option } from "@commander-js/extra-typings";
import { commandContext } from "../cli_context.ts";
import type { RegisterCommand } from "./_register.ts";
import { described, showDefaults } from "../cli_args.ts";
import { integerOption, numberOption } from "../numeric_option.ts";
import { CONFIG_DEFAULTS, DEFAULT_TILE_MPP, qcFolder } from "../config.ts";
import type { SlideRef } from "../../core/types.ts";
import { inShard } from "../../core/shard.ts";
import { SHARD_DEFAULT, SHARD_HELP, shardTarget } from "./_shard_option.ts";

/** Adds `tile` to `program`. */
export const registerTile: RegisterCommand = (program, globals) => {
  const tile = program
    .command("tile")
    .description(
      "tile slides into the run store (tissue detection, grid, QC images beside the store)",
    )
    .requiredOption(
      "--slides <dir|csv>",
      "a folder of slides or a CSV (slide_id[,path,label,split,mpp])",
    )
    .option(
      "--labels <csv>",
      "labels CSV (slide_id,label[,split]) stored with the slides; updates the labels of slides already in the store",
    )
    .addOption(integerOption("--tile-size <px>", "tile side in output pixels"))
    .addOption(
      numberOption("--mpp <x>", "target microns per pixel of the tiles"),
    )
    .addOption(
      numberOption(
        "--magnification <x>",
        "target magnification instead of --mpp",
      ),
    )
    .addOption(integerOption("--overlap <px>", "overlap between tiles"))
    .addOption(
      numberOption(
        "--min-tissue <f>",
        "minimum tissue fraction of a kept tile",
      ),
    )
    .addOption(
      new Option("--reader <kind>", "slide reader").choices(
        ["auto", "openslide", "sharp"] as const,
      ),
    )
    .addOption(
      numberOption(
        "--slide-mpp <x>",
        "level-0 MPP for slides whose file has none",
      ),
    )
    .option("--mpp-csv <csv>", "per-slide level-0 MPP (slide_id,mpp)")
    .option(
      "--qc <dir>",
      "folder for tissue QC images (<id>.mask.png, <id>.overlay.png)",
    )
    .option("--no-qc", "write no QC images")
    .option("--fail-fast", "stop at the first failed slide")
    .addOption(
      new Option(
        "--rerun <mode>",
        "slides already tiled with the same parameters",
      ).choices(["skip", "reuse", "redo"] as const).default("skip" as const),
    )
    .option("--shard <i/n|none>", SHARD_HELP)
    .action(async (o) => {
      const ctx = await commandContext(globals());
      const t = ctx.config.tile;
      const target = shardTarget(ctx, o.shard);
      const { tileSlides } = await import("../../stages/tile/tile_slides.ts");
      const { listSlides } = await import("../../stages/tile/slide_list.ts");
      const notSlides: string[] = [];
      const slides = inShard(
        await withLabels(
          await listSlides(o.slides, {
            // Shown under --quiet too: a slide the user expected is missing.
            onSkip: (e) => {
              notSlides.push(e.path);
              console.error(`tile: skipped ${e.path}: ${e.reason}`);
            },
          }),
          o.labels ?? ctx.config.labels,
        ),
        target.shard,
        (s) => s.id,
      );
      const qcDir = qcFolder(o.qc ?? t.qc, ctx.db);
      const magnification = o.magnification ?? t.magnification;
      const store = await ctx.openStore(target.db);
      const progress = ctx.progress("tile", {
        total: slides.length,
        unit: "slides",
      });
      try {
        // A slide already tiled is skipped, so new labels are applied here.
        const { relabelSlides, describeLabelChange } = await import(
          "../../stages/tile/relabel_slides.ts"
        );
        const relabelled = await relabelSlides(store, slides);
        for (const c of relabelled) {
          ctx.info(`tile: labels updated for ${describeLabelChange(c)}`);
        }
        const summary = await tileSlides({
          slides,
          db: store,
          tileSize: o.tileSize ?? t.tileSize,
          overlap: o.overlap ?? t.overlap,
          minTissue: o.minTissue ?? t.minTissue,
          reader: o.reader ?? t.reader,
          ...(magnification
            ? { magnification }
            : { mpp: o.mpp ?? t.mpp ?? DEFAULT_TILE_MPP }),
          ...(o.slideMpp !== undefined ? { mppOverride: o.slideMpp } : {}),
          ...(o.mppCsv !== undefined ? { mppCsv: o.mppCsv } : {}),
          ...(qcDir !== undefined ? { qcDir } : {}),
          rerun: o.rerun,
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
          } without tissue, ${summary.failed} failed${
            notSlides.length ? `, ${notSlides.length} not slide files` : ""
          }; labels updated on ${relabelled.length}) at ${
            summary.tilesPerSecond.toFixed(0)
          } tiles/s; QC images ${qcDir === undefined ? "off" : `in ${qcDir}`}`,
        );
      } finally {
        store.close();
      }
    });
  const t = CONFIG_DEFAULTS.tile;
  showDefaults(tile, {
    labels: described("the slide CSV's, or the folder's labels.csv"),
    tileSize: t.tileSize,
    mpp: DEFAULT_TILE_MPP,
    magnification: described("none, --mpp applies"),
    overlap: t.overlap,
    minTissue: t.minTissue,
    reader: t.reader,
    slideMpp: described("read from the slide file"),
    mppCsv: described("none"),
    qc: described("<store folder>/qc; none with --db :memory:"),
    shard: described(SHARD_DEFAULT),
  });
};

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
