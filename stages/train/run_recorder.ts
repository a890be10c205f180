/**
 * What a training run leaves behind, in the order a crash can be resumed
 * from: the run's rows in the store (run_record.ts) and its files under
 * `<outDir>/<run>/` (checkpoint, best and last weights), the files of an
 * epoch written while the next one trains but never ahead of the store's
 * record of that epoch.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { MilModel } from "../../models/mil_model.ts";
import { encodeWeights } from "../../models/weights.ts";
import type { Store } from "../../data/store.ts";
import type { RunRecord } from "../../data/records.ts";
import type { AdamWState } from "./adamw.ts";
import type { BestEpoch } from "../evaluate/model_selection.ts";
import {
  captureCheckpoint,
  type Checkpoint,
  encodeCheckpoint,
  readCheckpoint,
} from "./checkpoint.ts";
import { checkCheckpointOwner, checkpointStore } from "./checkpoint_owner.ts";
import { BackgroundWrites } from "./background_writes.ts";
import {
  type EpochRecordInput,
  recordEpoch,
  recordResume,
  recordRunEnd,
  recordRunStart,
} from "./run_record.ts";

/** The state of a run at the end of an epoch, as its checkpoint keeps it. */
export interface EpochState {
  rngState: number;
  best: BestEpoch;
  variables: tf.Variable[];
  optimizers: AdamWState[];
  /** Whether this epoch is the best so far (its weights become `best.weights`). */
  isBest: boolean;
}

/** Records one run in a store (optional) and a folder (optional). */
export class RunRecorder {
  readonly #run: string;
  readonly #store: Store | undefined;
  readonly #dir: string | undefined;
  readonly #owner: Checkpoint["store"];
  readonly #writes = new BackgroundWrites();

  private constructor(
    run: string,
    store: Store | undefined,
    dir: string | undefined,
    owner: Checkpoint["store"],
  ) {
    this.#run = run;
    this.#store = store;
    this.#dir = dir;
    this.#owner = owner;
  }

  /** Prepares recording run `run` into `store` and `<outDir>/<run>/`. */
  static async open(
    run: string,
    store: Store | undefined,
    outDir: string | undefined,
  ): Promise<RunRecorder> {
    const dir = outDir ? `${outDir}/${run}` : undefined;
    if (dir) await Deno.mkdir(dir, { recursive: true });
    const owner = store && dir ? await checkpointStore(store) : undefined;
    return new RunRecorder(run, store, dir, owner);
  }

  get #checkpointPath(): string | undefined {
    return this.#dir ? `${this.#dir}/checkpoint.bin` : undefined;
  }

  /**
   * The checkpoint of an earlier start to resume from (refused when it
   * belongs to another store); undefined without one.
   */
  async checkpoint(): Promise<Checkpoint | undefined> {
    const path = this.#checkpointPath;
    if (!path) return undefined;
    const checkpoint = await readCheckpoint(path);
    if (checkpoint && this.#store) {
      await checkCheckpointOwner(checkpoint, this.#store, path);
    }
    return checkpoint;
  }

  /** Records a fresh start (dropping what an earlier start recorded). */
  async start(run: Omit<RunRecord, "id">): Promise<void> {
    if (this.#store) {
      await recordRunStart(this.#store, { ...run, id: this.#run });
    }
  }

  /**
   * Records resuming after `epoch`; returns that epoch's validation
   * attention as stored (empty without a store).
   */
  async resume(epoch: number): Promise<Map<string, Float32Array>> {
    return this.#store
      ? await recordResume(this.#store, this.#run, epoch)
      : new Map();
  }

  /**
   * Records an epoch: its checkpoint and weights are captured now, its
   * rows committed, then its files queued (after the previous epoch's
   * files are on disk). `record.timing` gets `checkpoint` and `record`
   * seconds.
   */
  async epoch(
    record: Omit<EpochRecordInput, "run">,
    state: EpochState,
    model: MilModel,
  ): Promise<void> {
    const { timing } = record;
    const t0 = performance.now();
    // The previous epoch's files must be on disk before this epoch's
    // record (resume reads the checkpoint, then trusts the store).
    await this.#writes.settle();
    const path = this.#checkpointPath;
    const captured = path
      ? encodeCheckpoint(captureCheckpoint(
        {
          run: this.#run,
          epoch: record.epoch,
          rngState: state.rngState,
          best: state.best,
          ...(this.#owner ? { store: this.#owner } : {}),
        },
        state.variables,
        state.optimizers,
      ))
      : undefined;
    const weights = this.#dir ? encodeWeights(model) : undefined;
    const t1 = performance.now();
    timing.checkpoint = (t1 - t0) / 1000;
    timing.record = 0;
    if (this.#store) {
      await recordEpoch(this.#store, {
        ...record,
        run: this.#run,
        seconds: record.seconds + timing.checkpoint,
      });
    }
    timing.record = (performance.now() - t1) / 1000;
    // Files after the store commit: a checkpoint never runs ahead of it.
    if (this.#dir && weights && captured && path) {
      if (state.isBest) {
        this.#writes.write(`${this.#dir}/best.weights`, weights);
      }
      this.#writes.write(`${this.#dir}/last.weights`, weights);
      this.#writes.write(path, captured);
    }
  }

  /** Waits for the queued files; returns the seconds spent waiting. */
  settle(): Promise<number> {
    return this.#writes.settle();
  }

  /** Sets an epoch's final wall seconds and their parts. */
  async epochTiming(
    epoch: number,
    seconds: number,
    timing: Record<string, number>,
  ): Promise<void> {
    await this.#store?.setEpochTiming(this.#run, epoch, seconds, timing);
  }

  /** Waits for the files, then marks the run finished. */
  async finish(): Promise<void> {
    await this.#writes.settle();
    if (this.#store) await recordRunEnd(this.#store, this.#run);
  }

  /** Marks the run failed with `error` once the queued files are written or failed. */
  async fail(error: unknown): Promise<void> {
    await this.#writes.settle().catch(() => {});
    if (this.#store) await recordRunEnd(this.#store, this.#run, error);
  }
}
