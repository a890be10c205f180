/**
 * Seconds per training epoch at WSI scale, and the share spent writing attention.
 *
 * For each registered model (asmil with its anchor; `--anchor` wraps every
 * model with it): the median time of a training step (the trainer's own
 * step: AdamW, clip 5, the model's optimisation groups and `afterStep`), of an evaluation forward pass, and of writing one epoch's
 * attention and predictions for the evaluated slides to a DuckDB file, all
 * on generated bags of N ≈ 8000 instances, D 1024. The epoch time for
 * `--bags` bags (default 200: 60 % train, 40 % val+test) is extrapolated
 * from these medians — measuring full epochs of every model would take
 * hours on 2 cores; the per-bag costs do not depend on the bag count.
 *
 * Options: `--quick` (N ≈ 1000, D 256), `--n 8000`, `--d 1024`, `--steps 4`,
 * `--bags 200`, `--models a,b`, `--anchor`, `--backend auto|blas|wasm|cpu`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { featureBags } from "../data/feature_bags.ts";
import { Store } from "../data/store.ts";
import { listModels } from "../models/all.ts";
import { buildModel } from "../models/anchor_factory.ts";
import { type BackendChoice, useBackend } from "../models/backend/mod.ts";
import { Rng } from "../core/random.ts";
import { attentionSnapshot } from "../stages/train/attention_snapshot.ts";
import { StepRunner } from "../stages/train/train_step.ts";
import type { AttentionRecord, PredictionRecord } from "../data/records.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Runs the bench with command-line `args`. */
export async function run(args: string[]): Promise<void> {
  let n = 8000, d = 1024, steps = 4, bags = 200, anchor = false;
  let backendChoice: BackendChoice = "auto";
  let models = listModels();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--quick") [n, d, steps] = [1000, 256, 3];
    else if (a === "--n") n = Number(args[++i]);
    else if (a === "--d") d = Number(args[++i]);
    else if (a === "--steps") steps = Number(args[++i]);
    else if (a === "--bags") bags = Number(args[++i]);
    else if (a === "--models") models = String(args[++i]).split(",");
    else if (a === "--anchor") anchor = true;
    else if (a === "--backend") {
      backendChoice = String(args[++i]) as BackendChoice;
    } else throw new Error(`Unknown option ${a}`);
  }
  const backend = await useBackend(backendChoice);
  const data = featureBags({
    count: steps + 2,
    dim: d,
    minInstances: Math.round(n * 0.9),
    maxInstances: Math.round(n * 1.1),
    seed: 1,
    splits: { train: 1, val: 0, test: 0 },
  });
  const tensors = data.map((b) => tf.tensor2d(b.features, [b.n, b.dim]));
  const nTrain = Math.round(bags * 0.6), nEval = bags - nTrain;
  const dir = await Deno.makeTempDir({ prefix: "asmil-bench-train-" });
  console.log(
    `train epoch at N≈${n}, D ${d}; ${bags} bags (${nTrain} train, ${nEval} evaluated), backend ${backend.name}; medians of ${steps} steps`,
  );
  console.log(
    "model            step ms  eval ms  write ms/epoch  epoch s  write share",
  );
  for (const name of models) {
    const model = buildModel(name, {
      inputDim: d,
      numClasses: 2,
      seed: 0,
      ...(anchor ? { anchor: true } : {}),
    });
    const runner = new StepRunner(model, { weightDecay: 1e-5, clipNorm: 5 });
    const rng = new Rng(0);
    const stepMs: number[] = [], evalMs: number[] = [];
    const snapshots: { mean: Float32Array; heads?: Float32Array[] }[] = [];
    for (let i = 0; i <= steps; i++) {
      const x = tensors[i % tensors.length] as tf.Tensor2D;
      const t0 = performance.now();
      runner.step(x, data[i % data.length]!.label, rng, 1e-4);
      if (i > 0) stepMs.push(performance.now() - t0); // first step warms up
      const t1 = performance.now();
      const out = model.forward(x, { training: false });
      tf.softmax(out.logits).dataSync();
      snapshots.push(
        attentionSnapshot(out.attention, model.attentionNormalisation),
      );
      tf.dispose([out.logits, out.attention]);
      if (i > 0) evalMs.push(performance.now() - t1);
    }
    // One epoch's attention and predictions for nEval slides, as the
    // trainer writes them: one transaction into a DuckDB file.
    const store = await Store.open(`${dir}/${name}.duckdb`);
    const attention: AttentionRecord[] = [];
    const predictions: PredictionRecord[] = [];
    for (let s = 0; s < nEval; s++) {
      const snap = snapshots[s % snapshots.length]!;
      const row: AttentionRecord = {
        run: name,
        epoch: 0,
        slide: `s${s}`,
        split: "val",
        scores: snap.mean,
      };
      if (snap.heads) row.heads = snap.heads;
      attention.push(row);
      predictions.push({
        run: name,
        epoch: 0,
        slide: `s${s}`,
        split: "val",
        probabilities: [0.4, 0.6],
        label: 1,
      });
    }
    const w0 = performance.now();
    await store.transaction(async (tx) => {
      await tx.appendAttention(attention);
      await tx.appendPredictions(predictions);
    });
    const writeMs = performance.now() - w0;
    store.close();
    const epochS = (nTrain * median(stepMs) + nEval * median(evalMs) +
      writeMs) / 1000;
    console.log(
      `${name.padEnd(16)} ${median(stepMs).toFixed(0).padStart(7)}  ${
        median(evalMs).toFixed(0).padStart(7)
      }  ${writeMs.toFixed(0).padStart(14)}  ${
        epochS.toFixed(1).padStart(7)
      }  ${(100 * writeMs / 1000 / epochS).toFixed(2).padStart(10)} %`,
    );
    runner.dispose();
    model.dispose();
  }
  tf.dispose(tensors);
  await Deno.remove(dir, { recursive: true });
}
