/**
 * Helpers of the Keras→ONNX converter: tensor bookkeeping, TF-style padding,
 * batch-norm folding constants and weight lookup.
 *
 * @module
 */

import type { KerasLayer, KerasModel, KerasWeight } from "./keras_artifacts.ts";
import type { OnnxGraphBuilder } from "./onnx_graph.ts";

/** Shape of a tensor while converting: an image map or a flat vector. */
export type Shape = { c: number; h: number; w: number } | { features: number };

export interface Tensor {
  name: string;
  shape: Shape;
  /** Zero padding `[top, left, bottom, right]` not yet applied. */
  pad?: [number, number, number, number];
}

export function image(x: Tensor, layer: KerasLayer) {
  if ("features" in x.shape) {
    throw new TypeError(
      `Layer ${layer.name} (${layer.className}) expects an image map input: got a flat vector of ${x.shape.features}`,
    );
  }
  return x.shape;
}

/** Applies a pending zero padding with a Pad node when no conv absorbs it. */
export function materialize(g: OnnxGraphBuilder, x: Tensor): string {
  if (!x.pad || x.pad.every((p) => p === 0)) return x.name;
  const [t, l, b, r] = x.pad;
  const pads = g.int64Tensor(`${x.name}/pads${t}${l}${b}${r}`, [
    0,
    0,
    t,
    l,
    0,
    0,
    b,
    r,
  ]);
  return g.node("Pad", [x.name, pads], `${x.name}/padded${t}${l}${b}${r}`);
}

/** ONNX pads `[top, left, bottom, right]` and output size, TF semantics. */
export function convPads(
  s: { h: number; w: number },
  pending: Tensor["pad"],
  padding: string,
  k: [number, number],
  st: [number, number],
  d: [number, number],
): [number[], number, number] {
  const pad = [...(pending ?? [0, 0, 0, 0])];
  const out = [0, 0];
  for (const axis of [0, 1]) {
    const size = axis === 0 ? s.h : s.w;
    const extent = (k[axis]! - 1) * d[axis]! + 1;
    if (padding === "same") {
      out[axis] = Math.ceil(size / st[axis]!);
      const total = Math.max((out[axis]! - 1) * st[axis]! + extent - size, 0);
      pad[axis]! += Math.floor(total / 2);
      pad[axis + 2]! += total - Math.floor(total / 2);
    } else if (padding === "valid") {
      out[axis] = Math.floor((size - extent) / st[axis]!) + 1;
    } else {
      throw new TypeError(
        `Padding ${padding} is not supported: expected same or valid`,
      );
    }
  }
  return [pad, out[0]!, out[1]!];
}

export function weight(
  model: KerasModel,
  layer: KerasLayer,
  name: string,
): KerasWeight {
  const w = model.weights.get(`${layer.name}/${name}`);
  if (!w) {
    throw new RangeError(
      `Weight ${layer.name}/${name} is missing from the weights manifest`,
    );
  }
  return w;
}

/** Inference-time batch norm as `y = x · scale + shift` per channel. */
export function bnAffine(model: KerasModel, layer: KerasLayer) {
  const c = layer.config;
  if (c.axis !== undefined && c.axis !== -1 && c.axis !== 3) {
    throw new TypeError(
      `BatchNormalization ${layer.name} normalises axis ${c.axis}: only the channel axis (-1 or 3) is supported`,
    );
  }
  const mean = weight(model, layer, "moving_mean").data;
  const variance = weight(model, layer, "moving_variance").data;
  const n = mean.length;
  const gamma = c.scale === false
    ? new Float32Array(n).fill(1)
    : weight(model, layer, "gamma").data;
  const beta = c.center === false
    ? new Float32Array(n)
    : weight(model, layer, "beta").data;
  const eps = (c.epsilon as number | undefined) ?? 1e-3;
  const scale = new Float32Array(n), shift = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    scale[i] = gamma[i]! / Math.sqrt(variance[i]! + eps);
    shift[i] = beta[i]! - mean[i]! * scale[i]!;
  }
  return { scale, shift };
}
