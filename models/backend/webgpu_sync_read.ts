/**
 * Synchronous reads (`dataSync`, `arraySync`) on tfjs's WebGPU backend
 * under Deno. The backend's own `readSync` copies through an OffscreenCanvas
 * 2d context, which Deno lacks; the training loop, the optimiser's clip and
 * several models read small tensors synchronously, so without this the
 * backend cannot train.
 *
 * How: Deno polls an async op once as it is called, and `GPUBuffer.mapAsync`
 * waits on the device in that first poll, so the buffer is mapped by the
 * time the call returns; only Deno's own record of the map mode lags until
 * the promise settles. A staging buffer mapped once with a real `await`
 * (which sets that record, and unmapping never clears it) can then be read
 * synchronously: copy, submit, `mapAsync` (not awaited), `getMappedRange`,
 * `unmap`. Checked against Deno 2.9.6; a Deno where the map is not complete
 * on return gets a clear error, not wrong values.
 *
 * tfjs never looks at WebGPU validation errors (an invalid pipeline just
 * leaves its output unwritten), so the device's uncaptured errors are
 * collected and the next read throws them instead of returning garbage.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Bytes copied per round trip; larger tensors are read in chunks. */
const STAGING_BYTES = 4 << 20;

/** The parts of tfjs's WebGPUBackend this module uses. */
interface WebGpuBackendLike {
  device: GPUDevice;
  tensorMap: {
    get(dataId: tf.DataId): {
      values: tf.backend_util.BackendValues | null;
      dtype: tf.DataType;
      shape: number[];
      resource?: unknown;
    };
  };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder;
  convertAndCacheOnCPU(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
  ): tf.backend_util.BackendValues;
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
}

const installed = new WeakSet<object>();

/**
 * Makes `backend.readSync` (tfjs's WebGPUBackend) read through a mapped
 * staging buffer. Idempotent per backend.
 *
 * @example
 * ```ts ignore
 * await tf.setBackend("webgpu");
 * await installSyncRead(tf.backend());
 * tf.scalar(3).dataSync(); // Float32Array [3]
 * ```
 */
export async function installSyncRead(backend: unknown): Promise<void> {
  const gpu = backend as WebGpuBackendLike;
  if (installed.has(gpu)) return;
  if (!gpu.device || !gpu.tensorMap) {
    throw new Error(
      `installSyncRead needs tfjs's WebGPU backend: got the ${tf.getBackend()} backend`,
    );
  }
  const staging = gpu.device.createBuffer({
    label: "asmil sync read",
    size: STAGING_BYTES,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  // The one awaited map: Deno records the map mode here (see the module note).
  await staging.mapAsync(GPUMapMode.READ);
  staging.unmap();
  const errors: string[] = [];
  gpu.device.addEventListener("uncapturederror", (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    if (errors.length < 5) errors.push(message.split("\n")[0]!);
  });
  const stock = gpu.readSync;
  gpu.readSync = function (dataId) {
    if (errors.length > 0) {
      const seen = errors.splice(0);
      throw new Error(
        `The WebGPU device reported ${
          seen.length === 5 ? "at least 5 errors" : `${seen.length} error(s)`
        } since the last read, so results may be wrong: ${seen.join("; ")}`,
      );
    }
    const data = this.tensorMap.get(dataId);
    if (
      data.values != null || data.dtype === "string" ||
      data.dtype === "complex64" || !(data.resource instanceof GPUBuffer)
    ) {
      // Already on the CPU, or a case the stock path handles by recursion.
      return stock.call(this, dataId);
    }
    const bytes = 4 * tf.util.sizeFromShape(data.shape);
    const out = new ArrayBuffer(bytes);
    for (let offset = 0; offset < bytes; offset += STAGING_BYTES) {
      const length = Math.min(STAGING_BYTES, bytes - offset);
      copyOut(this, data.resource, offset, length, staging, out);
    }
    const values = tf.util.convertBackendValuesAndArrayBuffer(out, data.dtype);
    return this.convertAndCacheOnCPU(dataId, values);
  };
  installed.add(gpu);
}

function copyOut(
  gpu: WebGpuBackendLike,
  source: GPUBuffer,
  offset: number,
  length: number,
  staging: GPUBuffer,
  out: ArrayBuffer,
): void {
  gpu.ensureCommandEncoderReady();
  gpu.endComputePassEncoder();
  gpu.commandEncoder.copyBufferToBuffer(source, offset, staging, 0, length);
  gpu.submitQueue();
  // Settles later; the buffer is already mapped (module note).
  staging.mapAsync(GPUMapMode.READ, 0, length).catch(() => {});
  let range: ArrayBuffer;
  try {
    range = staging.getMappedRange(0, length);
  } catch (error) {
    throw new Error(
      `A synchronous read from the WebGPU backend failed (the staging buffer was not mapped on return from mapAsync, which this Deno ${Deno.version.deno} does not do): ${
        (error as Error).message
      }. Use the blas or wasm backend.`,
    );
  }
  new Uint8Array(out, offset, length).set(new Uint8Array(range));
  staging.unmap();
}
