/**
 * A small builder for ONNX graphs on top of the `onnx-proto` protobuf
 * definitions: initializers, nodes with typed attributes, and the model
 * bytes that `onnxruntime-node` loads.
 *
 * @module
 */

import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** An attribute value of an ONNX node. */
export type OnnxAttribute = number | number[] | string | {
  float: number;
};

/** Dimension of a graph input or output: a size or a symbolic name. */
export type OnnxDim = number | string;

/**
 * Collects nodes and float initializers, then encodes an ONNX model
 * (IR 8, opset 13 by default).
 *
 * @example
 * ```ts
 * import { OnnxGraphBuilder } from "./onnx_graph.ts";
 * const g = new OnnxGraphBuilder("identity");
 * g.input("x", ["N", 3]);
 * g.node("Relu", ["x"], "y");
 * g.output("y", ["N", 3]);
 * const bytes = g.toBytes();
 * if (bytes.length === 0) throw new Error("expected model bytes");
 * ```
 */
export class OnnxGraphBuilder {
  #name: string;
  #opset: number;
  #nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  #initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  #inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  #outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  #names = new Set<string>();

  /** Starts an empty graph called `name`. */
  constructor(name: string, opset = 13) {
    this.#name = name;
    this.#opset = opset;
  }

  /** Declares a float32 graph input. */
  input(name: string, dims: OnnxDim[]): void {
    this.#inputs.push(valueInfo(name, dims));
  }

  /** Declares a float32 graph output. */
  output(name: string, dims: OnnxDim[]): void {
    this.#outputs.push(valueInfo(name, dims));
  }

  /** Adds a float32 constant and returns its name. */
  floatTensor(name: string, dims: number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) {
      throw new RangeError(
        `Initializer ${name} expects ${expected} values for shape [${dims}]: current length is ${data.length}`,
      );
    }
    const bytes = new Uint8Array(data.byteLength);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) {
      view.setFloat32(i * 4, data[i]!, true);
    }
    this.#initializers.push(
      onnx.TensorProto.create({
        name: this.#unique(name),
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: bytes,
      }),
    );
    return name;
  }

  /** Adds an int64 constant (shapes, pads) and returns its name. */
  int64Tensor(name: string, values: number[]): string {
    this.#initializers.push(
      onnx.TensorProto.create({
        name: this.#unique(name),
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        int64Data: values,
      }),
    );
    return name;
  }

  /** Adds a node computing `output` from `inputs` and returns `output`. */
  node(
    opType: string,
    inputs: string[],
    output: string,
    attributes: Record<string, OnnxAttribute> = {},
  ): string {
    this.#nodes.push(
      onnx.NodeProto.create({
        opType,
        name: `${output}_${opType}`,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
      }),
    );
    return output;
  }

  /** Encodes the model as ONNX protobuf bytes. */
  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "asmil",
      opsetImport: [{ domain: "", version: this.#opset }],
      graph: onnx.GraphProto.create({
        name: this.#name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  #unique(name: string): string {
    if (this.#names.has(name)) {
      throw new Error(`Initializer name ${name} is used twice in the graph`);
    }
    this.#names.add(name);
    return name;
  }
}

function valueInfo(name: string, dims: OnnxDim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) =>
            typeof d === "number" ? { dimValue: d } : { dimParam: d }
          ),
        },
      },
    },
  });
}

function attribute(name: string, value: OnnxAttribute) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new TypeError(
        `Attribute ${name} given as a number must be an integer (wrap floats as {float}): current value is ${value}`,
      );
    }
    return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  }
  if (typeof value === "string") {
    return onnx.AttributeProto.create({
      name,
      type: T.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (Array.isArray(value)) {
    return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  }
  return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
}
