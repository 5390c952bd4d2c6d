// summary(model): the Keras model.summary() table, as text and as data.
import type * as tf from "@tensorflow/tfjs-node";
import { ConvlensError } from "../errors";
import { layersView } from "../layers-view";
import { checkModel } from "./check";

export type Shape = (number | null)[];

export interface SummaryRow {
  index: number;
  name: string;
  /** the layer's class, e.g. "Conv2D" */
  type: string;
  /** one shape, or one per output for layers with several */
  outputShape: Shape | Shape[];
  params: number;
  trainable: boolean;
}

export interface ModelSummary {
  name: string;
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** the Keras-style table (render it as text, never as HTML) */
  text: string;
}

const countParams = (weights: tf.LayerVariable[]) => weights.reduce((sum, w) => sum + w.shape.reduce((p: number, d) => p * (d ?? 0), 1), 0);

function shapeText(shape: Shape | Shape[]): string {
  const one = (s: Shape) => `(${s.map((d) => (d === null ? "None" : String(d))).join(", ")}${s.length === 1 ? "," : ""})`;
  return Array.isArray(shape[0]) || shape.length === 0 ? `[${(shape as Shape[]).map(one).join(", ")}]` : one(shape as Shape);
}

function humanBytes(params: number): string {
  const bytes = params * 4;
  if (bytes < 1024) return `${bytes.toFixed(2)} Byte`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

/** The table of model.layers; a nested model's layers are rows of their own, by path (as layersView lists them). */
export function summary(model: tf.LayersModel): ModelSummary {
  checkModel(model, "summary");
  const rows: SummaryRow[] = layersView(model).layers.map((layer, index) => {
    const out = layer.outputShape as Shape | Shape[];
    return {
      index,
      name: layer.name,
      type: layer.getClassName(),
      outputShape: layer.getClassName() === "InputLayer" && !Array.isArray(out[0]) ? [out as Shape] : out,
      params: countParams(layer.weights),
      trainable: layer.trainable,
    };
  });
  const totalParams = countParams(model.weights);
  const trainableParams = countParams(model.trainableWeights);
  const nonTrainableParams = totalParams - trainableParams;
  if (rows.length === 0) throw new ConvlensError(`model "${model.name}" has no layers`);

  const cells = rows.map((r) => [String(r.index), `${r.name} (${r.type})`, shapeText(r.outputShape), String(r.params)]);
  const header = ["#", "Layer (type)", "Output Shape", "Param #"];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)) + 2);
  const line = (row: string[]) => " " + row.map((cell, c) => (c === 0 ? cell.padStart(widths[c] - 2) + "  " : cell.padEnd(widths[c]))).join("").trimEnd();
  const width = widths.reduce((a, b) => a + b, 1);
  const text = [
    `Model: "${model.name}"`,
    "_".repeat(width),
    line(header),
    "=".repeat(width),
    ...cells.flatMap((row, i) => (i === 0 ? [line(row)] : ["", line(row)])),
    "=".repeat(width),
    `Total params: ${totalParams} (${humanBytes(totalParams)})`,
    `Trainable params: ${trainableParams} (${humanBytes(trainableParams)})`,
    `Non-trainable params: ${nonTrainableParams} (${humanBytes(nonTrainableParams)})`,
    "_".repeat(width),
  ].join("\n");
  return { name: model.name, rows, totalParams, trainableParams, nonTrainableParams, text };
}
