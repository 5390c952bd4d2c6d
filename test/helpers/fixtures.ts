// Small, fast test fixtures for the computing helpers: a tiny CNN, Keras-layout .h5 files
// written with h5wasm, generated images, and a local HTTP server.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs-node";
import { h5wasm } from "../../kernel-helpers/src/models/h5";
import { setPreprocessing } from "../../kernel-helpers/src/models/info";

const madeDirs: string[] = [];
// Every test file runs in its own process: its temporary folders go when it ends, pass or fail.
process.on("exit", () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new folder in the system's temp folder, removed when the test process exits. */
export function tempDir(prefix = "convlens-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/**
 * input_1 [16,16,3] → conv_a (4 filters, bias) → pool_a → conv_b (6 filters) → flatten → dense (classes).
 * Biases are random too, so bias checks mean something.
 */
export function tinyCnn(options: { classes?: number; seed?: number; name?: string } = {}): tf.LayersModel {
  const seed = options.seed ?? 1;
  const init = (s: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: seed * 100 + s });
  const input = tf.input({ shape: [16, 16, 3], name: "input_1" });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", name: "conv_a", kernelInitializer: init(1), biasInitializer: init(2) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: "pool_a" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu", name: "conv_b", kernelInitializer: init(3), biasInitializer: init(4) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: options.classes ?? 10, activation: "softmax", name: "dense", kernelInitializer: init(5) }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x, name: options.name ?? "tiny" });
  setPreprocessing(model, "none");
  return model;
}

export interface WriteOptions {
  /** leave this layer out of the file */
  skipLayer?: string;
  /** store this layer's first weight with a wrong shape */
  wrongShapeLayer?: string;
}

/** Writes `model`'s weights in the Keras legacy save_weights layout (as tf-keras writes it). */
export async function writeKerasWeights(model: tf.LayersModel, path: string, options: WriteOptions = {}): Promise<void> {
  const h5 = await h5wasm();
  const file = new h5.File(path, "w");
  try {
    const layers = model.layers.filter((l) => l.name !== options.skipLayer);
    file.create_attribute("layer_names", layers.map((l) => l.name));
    file.create_attribute("backend", "tensorflow");
    file.create_attribute("keras_version", "2.21.0");
    for (const layer of layers) {
      const group = file.create_group(layer.name);
      const names = layer.weights.map((w) => `${layer.name}/${w.originalName.split("/").pop()}:0`);
      group.create_attribute("weight_names", names);
      const inner = layer.weights.length ? group.create_group(layer.name) : group;
      layer.weights.forEach((w, i) => {
        let shape = w.shape as number[];
        let data = w.read().dataSync() as Float32Array;
        if (options.wrongShapeLayer === layer.name && i === 0) {
          shape = [...shape.slice(0, -1), shape[shape.length - 1] + 1];
          data = new Float32Array(shape.reduce((a, b) => a * b, 1));
        }
        inner.create_dataset({ name: names[i].split("/").pop() as string, data, shape, dtype: "<f" });
      });
    }
  } finally {
    file.close();
  }
}

export async function pngBytes(height: number, width: number, channels: 1 | 3 | 4, seed = 7): Promise<Uint8Array> {
  const pixels = tf.tidy(() => tf.randomUniform([height, width, channels], 0, 256, "int32", seed)) as tf.Tensor3D;
  try {
    return await tf.node.encodePng(pixels);
  } finally {
    pixels.dispose();
  }
}

export async function jpegBytes(height: number, width: number, seed = 7): Promise<Uint8Array> {
  const pixels = tf.tidy(() => tf.randomUniform([height, width, 3], 0, 256, "int32", seed)) as tf.Tensor3D;
  try {
    return await tf.node.encodeJpeg(pixels, "rgb", 95);
  } finally {
    pixels.dispose();
  }
}

export interface TestServer {
  url: string;
  /** requests per path */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Serves `files` on 127.0.0.1. A path in `truncated` announces its full Content-Length but
 * sends only half of it before closing the connection; one in `gzipped` is sent gzip-encoded
 * (Content-Length then counts the compressed bytes).
 */
export async function serveFiles(files: Record<string, Uint8Array>, truncated: string[] = [], gzipped: string[] = []): Promise<TestServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const file = files[path];
    if (!file) {
      res.writeHead(404).end("not found");
      return;
    }
    const gzip = gzipped.includes(path);
    const body = gzip ? gzipSync(file) : file;
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length, ...(gzip ? { "content-encoding": "gzip" } : {}) });
    if (truncated.includes(path)) {
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
    } else {
      // in spaced-out chunks, so the client sees (and reports) several
      const step = Math.max(1, body.length >> 3);
      const send = (i: number): void => {
        if (i >= body.length) return void res.end();
        res.write(body.subarray(i, i + step), () => setTimeout(() => send(i + step), 5));
      };
      send(0);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * One model with every layer kind the graph translates, in the configurations that change its ops.
 * `dilated` false: its fourth conv, 3×2 with dilation 2, is instead 5×3 undilated (the same when
 * given the dilated kernel with zeros between its taps; tfjs has no gradient for a dilated conv).
 */
export function everyKind(inputShape: (number | null)[], dilated = true): tf.LayersModel {
  let seed = 1;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const input = tf.input({ shape: inputShape });
  const conv = (args: Omit<Parameters<typeof tf.layers.conv2d>[0], "kernelSize"> & { kernelSize?: number | number[] }) =>
    tf.layers.conv2d({ kernelSize: 3, padding: "same", kernelInitializer: init(), biasInitializer: tf.initializers.randomNormal({ seed: seed++ }), ...args });
  let x = conv({ name: "relu_same", filters: 5, activation: "relu" }).apply(input) as tf.SymbolicTensor;
  x = conv({ name: "valid_stride2_linear", filters: 6, padding: "valid", strides: 2 }).apply(x) as tf.SymbolicTensor;
  x = conv({ name: "no_bias_tanh", filters: 4, useBias: false, activation: "tanh" }).apply(x) as tf.SymbolicTensor;
  x = conv({ name: "dilated_sigmoid", filters: 4, dilationRate: dilated ? 2 : 1, activation: "sigmoid", kernelSize: dilated ? [3, 2] : [5, 3] }).apply(x) as tf.SymbolicTensor;
  x = conv({ name: "relu6", filters: 4, activation: "relu6" }).apply(x) as tf.SymbolicTensor;
  x = conv({ name: "elu", filters: 4, activation: "elu" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "max_same", poolSize: 3, strides: 2, padding: "same" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ name: "avg_same", poolSize: 2, strides: 1, padding: "same" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ name: "dropout", rate: 0.5 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ name: "activation_tanh", activation: "tanh" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: "relu_layer" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ name: "avg_valid", poolSize: 2, padding: "valid" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: "every_kind" });
}
