/**
 * Reads a tfjs LayersModel (Keras topology + weights manifest + weight
 * bytes) into plain layers and float32 weights, dequantising uint8/uint16
 * weights the way tfjs does (`min + q · scale`).
 *
 * @module
 */

/** One Keras layer of a functional model. */
export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers whose first output feeds this layer. */
  inbound: string[];
}

/** A float32 weight with its Keras shape. */
export interface KerasWeight {
  shape: number[];
  data: Float32Array;
}

/** A Keras functional model with its weights, keyed `layer/weight`. */
export interface KerasModel {
  layers: KerasLayer[];
  weights: Map<string, KerasWeight>;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string };
}

interface ModelJson {
  modelTopology: {
    model_config?: { class_name: string; config: { layers: unknown[] } };
    config?: { layers: unknown[] };
  };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/**
 * Parses a tfjs `model.json` object and its concatenated weight bytes.
 *
 * @example
 * ```ts ignore
 * import { parseLayersModel } from "./keras_artifacts.ts";
 * const model = parseLayersModel(modelJson, weightBytes);
 * console.log(model.layers.length, model.weights.size);
 * ```
 */
export function parseLayersModel(
  modelJson: unknown,
  weightBytes: Uint8Array,
): KerasModel {
  const json = modelJson as ModelJson;
  const config = json?.modelTopology?.model_config?.config ??
    json?.modelTopology?.config;
  if (!config || !Array.isArray(config.layers)) {
    throw new TypeError(
      "Expected a tfjs LayersModel JSON with modelTopology.model_config.config.layers: none found",
    );
  }
  const layers = config.layers.map(toLayer);
  const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  return { layers, weights: dequantize(specs, weightBytes) };
}

function toLayer(raw: unknown): KerasLayer {
  const l = raw as {
    name: string;
    class_name: string;
    config: Record<string, unknown>;
    inbound_nodes: unknown[][][];
  };
  const node = l.inbound_nodes[0] ?? [];
  if (l.inbound_nodes.length > 1) {
    throw new TypeError(
      `Layer ${l.name} is shared (${l.inbound_nodes.length} inbound nodes); only single-use layers are supported`,
    );
  }
  return {
    name: l.name,
    className: l.class_name,
    config: l.config,
    inbound: node.map((edge) => String(edge[0])),
  };
}

function dequantize(
  specs: WeightSpec[],
  bytes: Uint8Array,
): Map<string, KerasWeight> {
  const weights = new Map<string, KerasWeight>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const q = spec.quantization;
    const kind = q?.dtype ?? spec.dtype;
    const width = kind === "uint8" ? 1 : kind === "uint16" ? 2 : 4;
    if (offset + n * width > bytes.byteLength) {
      throw new RangeError(
        `Weight ${spec.name} needs bytes ${offset}..${
          offset + n * width
        }: weight data has only ${bytes.byteLength}`,
      );
    }
    if (spec.dtype !== "float32") {
      throw new TypeError(
        `Weight ${spec.name} must be float32: current dtype is ${spec.dtype}`,
      );
    }
    if (kind === "uint8" || kind === "uint16") {
      const min = q?.min ?? 0, scale = q?.scale ?? 1;
      for (let i = 0; i < n; i++) {
        const v = kind === "uint8"
          ? view.getUint8(offset + i)
          : view.getUint16(offset + 2 * i, true);
        data[i] = min + v * scale;
      }
    } else if (kind === "float32") {
      for (let i = 0; i < n; i++) {
        data[i] = view.getFloat32(offset + 4 * i, true);
      }
    } else {
      throw new TypeError(
        `Weight ${spec.name} uses quantization ${kind}: expected uint8, uint16 or none`,
      );
    }
    offset += n * width;
    weights.set(spec.name, { shape: spec.shape, data });
  }
  return weights;
}
