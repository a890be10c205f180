/**
 * For tests: the arguments of a tiny `asmil experiment` grid on synthetic
 * feature bags that runs in seconds.
 *
 * @module
 */

/** What may vary between the tests' tiny grids. */
export interface TinyExperimentOptions {
  /** Bags in the synthetic feature cohort (default 20). */
  bags?: number;
  /** Seeds per configuration (default 2). */
  seeds?: number;
}

/**
 * The tiny grid as options of the library's experiment functions: ABMIL
 * and ASMIL (5 configurations) on synthetic bags of 24 instances with 12
 * features, 3 epochs each, named "t". The learning rate (0.001 in these
 * tests) comes from the configuration.
 *
 * @example
 * ```ts
 * import { tinyExperiment } from "./tiny_experiment.ts";
 * if (tinyExperiment({ bags: 16 }).bags !== 16) throw new Error();
 * ```
 */
export function tinyExperiment(
  { bags = 20, seeds = 2 }: TinyExperimentOptions = {},
) {
  return {
    data: "features" as const,
    bags,
    instances: 24,
    dim: 12,
    witnessFraction: 0.2,
    seeds,
    epochs: 3,
    models: ["abmil", "asmil"],
    modelOptions: {
      abmil: { innerDim: 16, attentionDim: 8 },
      asmil: { innerDim: 16, nToken: 4, nDrop: 2 },
    },
    name: "t",
  };
}

/**
 * `asmil experiment` arguments for {@link tinyExperiment} with a learning
 * rate of 0.001.
 *
 * @example
 * ```ts
 * import { tinyExperimentArgs } from "./tiny_experiment.ts";
 * const args = tinyExperimentArgs({ seeds: 1 });
 * if (args[0] !== "experiment" || args[args.indexOf("--seeds") + 1] !== "1") {
 *   throw new Error(args.join(" "));
 * }
 * ```
 */
export function tinyExperimentArgs(
  options: TinyExperimentOptions = {},
): string[] {
  const grid = tinyExperiment(options);
  return [
    "experiment",
    "--data",
    grid.data,
    "--bags",
    String(grid.bags),
    "--instances",
    String(grid.instances),
    "--dim",
    String(grid.dim),
    "--witness-fraction",
    String(grid.witnessFraction),
    "--seeds",
    String(grid.seeds),
    "--epochs",
    String(grid.epochs),
    "--lr",
    "0.001",
    "--models",
    grid.models.join(","),
    "--model-options",
    JSON.stringify(grid.modelOptions),
    "--name",
    grid.name,
  ];
}
