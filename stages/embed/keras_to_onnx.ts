/**
 * Converts a Keras (tfjs LayersModel) image network to an ONNX graph with an
 * NCHW input, up to a chosen feature layer. Covers the layers MobileNet-style
 * networks use: Conv2D, DepthwiseConv2D, BatchNormalization (folded into
 * the preceding convolution), ReLU/ReLU6 (Clip), ZeroPadding2D (folded
 * into the next convolution's pads), Add, (Global)AveragePooling2D,
 * Flatten, Dense, Dropout.
 *
 * @module
 */

import type { KerasLayer, KerasModel } from "./keras_artifacts.ts";
import {
  bnAffine,
  convPads,
  image,
  materialize,
  type Tensor,
  weight,
} from "./_keras_onnx_ops.ts";
import { OnnxGraphBuilder } from "./onnx_graph.ts";

/** Options of {@linkcode kerasToOnnx}. */
export interface KerasToOnnxOptions {
  /** Layer whose output becomes the graph output (default: the last). */
  outputLayer?: string;
  /** Graph input name (default `"input"`). */
  inputName?: string;
  /** Graph output name (default `"features"`). */
  outputName?: string;
}

/**
 * Builds ONNX model bytes computing `outputLayer`'s output from an NCHW
 * float input of the Keras model's input size.
 *
 * @example
 * ```ts ignore
 * import { kerasToOnnx } from "./keras_to_onnx.ts";
 * const bytes = kerasToOnnx(kerasModel, { outputLayer: "flatten_1" });
 * ```
 */
export function kerasToOnnx(
  model: KerasModel,
  options: KerasToOnnxOptions = {},
): Uint8Array {
  const outputLayer = options.outputLayer ?? model.layers.at(-1)?.name;
  if (!model.layers.some((l) => l.name === outputLayer)) {
    throw new RangeError(
      `Output layer ${outputLayer} is not in the model: layers are ${
        model.layers.map((l) => l.name).join(", ")
      }`,
    );
  }
  const g = new OnnxGraphBuilder("keras_features");
  const converter = new Converter(model, g, options.inputName ?? "input");
  const out = converter.run(outputLayer!);
  const outputName = options.outputName ?? "features";
  const final = materialize(g, out);
  g.node("Identity", [final], outputName);
  g.output(
    outputName,
    "features" in out.shape
      ? ["N", out.shape.features]
      : ["N", out.shape.c, out.shape.h, out.shape.w],
  );
  return g.toBytes();
}

class Converter {
  #model: KerasModel;
  #g: OnnxGraphBuilder;
  #inputName: string;
  #tensors = new Map<string, Tensor>();
  #consumers = new Map<string, string[]>();

  constructor(model: KerasModel, g: OnnxGraphBuilder, inputName: string) {
    this.#model = model;
    this.#g = g;
    this.#inputName = inputName;
    for (const l of model.layers) {
      for (const src of l.inbound) {
        this.#consumers.set(src, [...(this.#consumers.get(src) ?? []), l.name]);
      }
    }
  }

  run(outputLayer: string): Tensor {
    const layers = this.#model.layers;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      if (this.#tensors.has(layer.name)) continue; // folded into a neighbour
      const inputs = layer.inbound.map((n) => this.#tensors.get(n)!);
      let next = layers.find((l) => l.inbound.includes(layer.name));
      if (this.#consumers.get(layer.name)?.length !== 1) next = undefined;
      this.#tensors.set(layer.name, this.#convert(layer, inputs, next));
      if (layer.name === outputLayer) break;
    }
    return this.#tensors.get(outputLayer)!;
  }

  #convert(layer: KerasLayer, inputs: Tensor[], next?: KerasLayer): Tensor {
    const g = this.#g, c = layer.config, x = inputs[0]!;
    switch (layer.className) {
      case "InputLayer": {
        const [, h, w, ch] = c.batch_input_shape as number[];
        if (!h || !w || !ch) {
          throw new TypeError(
            `Input layer ${layer.name} needs a fixed [null, H, W, C] shape: current value is [${c.batch_input_shape}]`,
          );
        }
        g.input(this.#inputName, ["N", ch, h, w]);
        return { name: this.#inputName, shape: { c: ch, h, w } };
      }
      case "ZeroPadding2D": {
        const [[t, b], [l, r]] = c.padding as number[][] as [
          [number, number],
          [number, number],
        ];
        const s = image(x, layer);
        const prev = x.pad ?? [0, 0, 0, 0];
        return {
          name: x.name,
          shape: { c: s.c, h: s.h + t + b, w: s.w + l + r },
          pad: [prev[0] + t, prev[1] + l, prev[2] + b, prev[3] + r],
        };
      }
      case "Conv2D":
      case "DepthwiseConv2D":
        return this.#conv(layer, x, next);
      case "BatchNormalization": {
        const s = image(x, layer);
        const { scale, shift } = bnAffine(this.#model, layer);
        const sc = g.floatTensor(`${layer.name}/scale`, [1, s.c, 1, 1], scale);
        const sh = g.floatTensor(`${layer.name}/shift`, [1, s.c, 1, 1], shift);
        const y = g.node("Mul", [materialize(g, x), sc], `${layer.name}/mul`);
        return { name: g.node("Add", [y, sh], layer.name), shape: s };
      }
      case "ReLU":
        return { name: this.#relu(layer, materialize(g, x)), shape: x.shape };
      case "Activation":
        return {
          name: this.#activation(c.activation, materialize(g, x), layer.name),
          shape: x.shape,
        };
      case "Add": {
        let acc = materialize(g, x);
        for (let i = 1; i < inputs.length; i++) {
          const out = i === inputs.length - 1
            ? layer.name
            : `${layer.name}/${i}`;
          acc = g.node("Add", [acc, materialize(g, inputs[i]!)], out);
        }
        return { name: acc, shape: x.shape };
      }
      case "AveragePooling2D":
      case "GlobalAveragePooling2D":
        return this.#avgPool(layer, x);
      case "Flatten": {
        const s = image(x, layer);
        let src = materialize(g, x);
        if (s.h * s.w !== 1) { // Keras flattens channels-last
          src = g.node("Transpose", [src], `${layer.name}/nhwc`, {
            perm: [0, 2, 3, 1],
          });
        }
        g.node("Flatten", [src], layer.name, { axis: 1 });
        return { name: layer.name, shape: { features: s.c * s.h * s.w } };
      }
      case "Dense": {
        const k = weight(this.#model, layer, "kernel");
        const units = k.shape[1]!;
        const bias = c.use_bias
          ? weight(this.#model, layer, "bias").data
          : new Float32Array(units);
        const y = g.node("Gemm", [
          materialize(g, x),
          g.floatTensor(`${layer.name}/kernel`, k.shape, k.data),
          g.floatTensor(`${layer.name}/bias`, [units], bias),
        ], `${layer.name}/linear`);
        return {
          name: this.#activation(c.activation, y, layer.name),
          shape: { features: units },
        };
      }
      case "Dropout":
        return x;
      default:
        throw new TypeError(
          `Layer ${layer.name} has class ${layer.className}, which the Keras→ONNX converter does not support`,
        );
    }
  }

  #conv(layer: KerasLayer, x: Tensor, next?: KerasLayer): Tensor {
    const g = this.#g, c = layer.config, s = image(x, layer);
    const depthwise = layer.className === "DepthwiseConv2D";
    const [kh, kw] = c.kernel_size as [number, number];
    const [sh, sw] = c.strides as [number, number];
    const [dh, dw] = (c.dilation_rate as [number, number]) ?? [1, 1];
    const k = weight(
      this.#model,
      layer,
      depthwise ? "depthwise_kernel" : "kernel",
    );
    const cin = k.shape[2]!, mult = k.shape[3]!;
    const cout = depthwise ? cin * mult : mult;
    // Keras [kh, kw, cin, cout|mult] → ONNX [cout, cin/group, kh, kw].
    const w = new Float32Array(cout * (depthwise ? 1 : cin) * kh * kw);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let a = 0; a < cin; a++) {
          for (let b = 0; b < mult; b++) {
            const v = k.data[((i * kw + j) * cin + a) * mult + b]!;
            const o = depthwise ? a * mult + b : b;
            const inner = depthwise ? 0 : a;
            w[((o * (depthwise ? 1 : cin) + inner) * kh + i) * kw + j] = v;
          }
        }
      }
    }
    let bias = c.use_bias
      ? weight(this.#model, layer, "bias").data.slice()
      : new Float32Array(cout);
    let outName = layer.name;
    const linear = (c.activation ?? "linear") === "linear";
    if (next?.className === "BatchNormalization" && linear) {
      const { scale, shift } = bnAffine(this.#model, next);
      const per = w.length / cout;
      for (let o = 0; o < cout; o++) {
        for (let q = 0; q < per; q++) w[o * per + q]! *= scale[o]!;
      }
      bias = bias.map((b, o) => b * scale[o]! + shift[o]!);
      outName = next.name;
    }
    const [pads, oh, ow] = convPads(s, x.pad, c.padding as string, [kh, kw], [
      sh,
      sw,
    ], [dh, dw]);
    const y = g.node(
      "Conv",
      [
        x.name,
        g.floatTensor(
          `${layer.name}/w`,
          [cout, depthwise ? 1 : cin, kh, kw],
          w,
        ),
        g.floatTensor(`${layer.name}/b`, [cout], bias),
      ],
      `${outName}/conv`,
      {
        kernel_shape: [kh, kw],
        strides: [sh, sw],
        dilations: [dh, dw],
        pads,
        group: depthwise ? cin : 1,
      },
    );
    const out: Tensor = {
      name: this.#activation(c.activation, y, outName),
      shape: { c: cout, h: oh, w: ow },
    };
    if (outName !== layer.name) this.#tensors.set(outName, out);
    return out;
  }

  #avgPool(layer: KerasLayer, x: Tensor): Tensor {
    const g = this.#g, c = layer.config, s = image(x, layer);
    const src = materialize(g, x);
    if (layer.className === "GlobalAveragePooling2D") {
      const p = g.node("GlobalAveragePool", [src], `${layer.name}/pool`);
      g.node("Flatten", [p], layer.name, { axis: 1 });
      return { name: layer.name, shape: { features: s.c } };
    }
    const [ph, pw] = c.pool_size as [number, number];
    const [sh, sw] = (c.strides as [number, number]) ?? [ph, pw];
    if (c.padding === "valid" && ph === s.h && pw === s.w) {
      g.node("GlobalAveragePool", [src], layer.name);
      return { name: layer.name, shape: { c: s.c, h: 1, w: 1 } };
    }
    const [pads, oh, ow] = convPads(
      s,
      undefined,
      c.padding as string,
      [ph, pw],
      [sh, sw],
      [1, 1],
    );
    g.node("AveragePool", [src], layer.name, {
      kernel_shape: [ph, pw],
      strides: [sh, sw],
      pads,
      count_include_pad: 0,
    });
    return { name: layer.name, shape: { c: s.c, h: oh, w: ow } };
  }

  #relu(layer: KerasLayer, src: string): string {
    const c = layer.config;
    if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) {
      throw new TypeError(
        `ReLU layer ${layer.name} has negative_slope ${c.negative_slope} and threshold ${c.threshold}: only 0 is supported`,
      );
    }
    const max = c.max_value as number | null | undefined;
    if (max == null) return this.#g.node("Relu", [src], layer.name);
    const lo = this.#g.floatTensor(
      `${layer.name}/min`,
      [],
      new Float32Array([0]),
    );
    const hi = this.#g.floatTensor(
      `${layer.name}/max`,
      [],
      new Float32Array([max]),
    );
    return this.#g.node("Clip", [src, lo, hi], layer.name);
  }

  #activation(activation: unknown, src: string, name: string): string {
    switch (activation ?? "linear") {
      case "linear":
        return this.#g.node("Identity", [src], name);
      case "relu":
        return this.#g.node("Relu", [src], name);
      case "relu6":
        return this.#relu({
          name,
          className: "ReLU",
          config: { max_value: 6 },
          inbound: [],
        }, src);
      case "sigmoid":
        return this.#g.node("Sigmoid", [src], name);
      case "softmax":
        return this.#g.node("Softmax", [src], name, { axis: -1 });
      default:
        throw new TypeError(
          `Activation ${activation} of ${name} is not supported: expected linear, relu, relu6, sigmoid or softmax`,
        );
    }
  }
}
