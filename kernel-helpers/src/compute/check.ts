// Argument checks shared by the computing helpers.
import * as tf from "@tensorflow/tfjs-node";
import { ConvlensError, describeValue } from "../errors";

/** Throws a readable error unless `model` is a tfjs LayersModel (what vgg16() / loadModel() give). */
export function checkModel(model: unknown, call: string): asserts model is tf.LayersModel {
  // Duck-typed: a second copy of tfjs-layers would fail an instanceof check.
  const looksLikeModel = model instanceof tf.LayersModel || (typeof model === "object" && model !== null && Array.isArray((model as tf.LayersModel).layers) && typeof (model as tf.LayersModel).predict === "function");
  if (!looksLikeModel) {
    const hint = model instanceof Promise ? " (it is a Promise: add await, as in `const model = await convlens.vgg16()`)" : "";
    throw new ConvlensError(`${call}() needs a model from convlens.vgg16() / vgg19() / loadModel(), not ${describeValue(model)}${hint}`);
  }
}

/** [start, end) from a count n (→ [0, n)) or a [start, end) pair, checked against 0..total. */
export function checkRange(value: number | [number, number] | undefined, total: number, what: string): [number, number] {
  if (value === undefined) return [0, total];
  const pair: unknown[] = typeof value === "number" ? [0, value] : Array.isArray(value) ? value : [];
  const [start, end] = pair;
  const valid = pair.length === 2 && Number.isInteger(start) && Number.isInteger(end) && (start as number) >= 0 && (end as number) <= total && (start as number) < (end as number);
  if (!valid) {
    throw new ConvlensError(`${what} ${JSON.stringify(value)} is not valid: give a count from 1 to ${total}, or a [start, end) pair with 0 ≤ start < end ≤ ${total}`);
  }
  return [start as number, end as number];
}
