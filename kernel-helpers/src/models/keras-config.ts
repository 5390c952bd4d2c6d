// The config.json of a .keras archive → the Keras 2 topology tfjs's modelFromJSON rebuilds, and
// where each layer's variables are in the archive's model.weights.h5.
//
// Keras 3 serializes every object as {module, class_name, config, registered_name}: dtypes are
// DTypePolicy objects, an InputLayer has "batch_shape", and a layer call (inbound node) is
// {args: [{class_name: "__keras_tensor__", config: {keras_history: [layer, node, tensor]}}], kwargs}.
// tfjs reads Keras 2's form: dtype strings, "batch_input_shape", and [[layer, node, tensor, kwargs]].
// tf-keras 2.13+ writes .keras archives too, with Keras 2 nodes; both are read here.
import { ConvlensError, describeValue } from "../errors";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Where one layer's variables are in model.weights.h5. */
export interface WeightsPlace {
  /** the layer's name, inside the names of the models around it: ["vgg16", "block1_conv1"] */
  layerPath: string[];
  /** the HDF5 group holding its variables "0", "1", …: "layers/functional/layers/conv2d/vars" */
  group: string;
}

export interface TranslatedModel {
  /** {class_name, config} as tf.models.modelFromJSON takes it */
  topology: JsonObject;
  weights: WeightsPlace[];
}

const MODELS = new Set(["Functional", "Sequential"]);

/** The layers convlens rebuilds, each with a check naming a setting of it tfjs cannot rebuild (null: none). */
const LAYERS: Record<string, ((config: JsonObject) => string | undefined) | null> = {
  InputLayer: (c) => (c.sparse === true || c.ragged === true ? "sparse or ragged inputs" : undefined),
  Conv2D: (c) =>
    c.groups !== undefined && c.groups !== 1 ? `groups ${JSON.stringify(c.groups)} (grouped convolution)` : undefined,
  DepthwiseConv2D: null,
  SeparableConv2D: null,
  MaxPooling2D: null,
  AveragePooling2D: null,
  GlobalAveragePooling2D: (c) => (c.keepdims === true ? "keepdims=True" : undefined),
  GlobalMaxPooling2D: (c) => (c.keepdims === true ? "keepdims=True" : undefined),
  Flatten: null,
  Dense: null,
  Dropout: null,
  Activation: null,
  ReLU: (c) => (nonZero(c.negative_slope) || nonZero(c.threshold) ? "a negative_slope or threshold" : undefined),
  BatchNormalization: (c) => (c.renorm === true ? "renorm=True" : undefined),
  ZeroPadding2D: null,
  Rescaling: (c) =>
    typeof c.scale !== "number" || !["number", "undefined"].includes(typeof c.offset)
      ? "a per-channel scale or offset"
      : undefined,
  Add: null,
  Concatenate: null,
};

const nonZero = (v: Json | undefined) => v !== undefined && v !== null && v !== 0;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keras's naming.to_snake_case, which names each layer's group in model.weights.h5 after its class. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

class Translator {
  readonly weights: WeightsPlace[] = [];
  private readonly unsupported: string[] = [];

  constructor(private readonly source: string) {}

  fail(problem: string): never {
    throw new ConvlensError(`${this.source}: ${problem}`);
  }

  /** A Functional or Sequential model's config; `group` is its own group in model.weights.h5 ("" at the top). */
  model(data: JsonObject, layerPath: string[], group: string): JsonObject {
    const className = String(data.class_name);
    const config = isObject(data.config)
      ? data.config
      : this.fail(`the config of model "${layerPath.join("/")}" is not an object (corrupt config.json)`);
    const list = Array.isArray(config.layers)
      ? config.layers
      : this.fail(`model "${config.name}" has no list of layers in config.json`);
    const layers = list.map((l) =>
      isObject(l) ? l : this.fail(`a layer of model "${config.name}" is ${describeValue(l)} in config.json`),
    );
    // tfjs (like Keras 2) gives a nested model a node of its own first, so its first call is node 1.
    // Keras 3 numbers that call 0 in inbound nodes, and in input/output_layers too for a Sequential
    // (a Functional's there count from 1 already).
    const keras3 = layers.some((l) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.some(isObject));
    const namesOf = (classes: string[]) =>
      new Set(keras3 ? layers.filter((l) => classes.includes(String(l.class_name))).map(nameOf) : []);
    const callsShifted = namesOf([...MODELS]);
    const endsShifted = namesOf(["Sequential"]);
    const used = new Map<string, number>();
    const translated = layers.map((layer) => {
      const name = nameOf(layer);
      // Keras's _save_container_state: the class name in snake case, "_1", "_2", … for repeats
      const snake = toSnakeCase(String(layer.class_name));
      const count = used.get(snake);
      used.set(snake, (count ?? -1) + 1);
      const path = `${group}layers/${count === undefined ? snake : `${snake}_${count + 1}`}/`;
      const out = this.layer(layer, [...layerPath, name], path);
      if (className !== "Sequential") out.inbound_nodes = this.nodes(layer.inbound_nodes, callsShifted);
      return out;
    });
    if (className === "Sequential")
      return { class_name: "Sequential", config: { name: config.name ?? null, layers: withoutInputLayer(translated) } };
    return {
      class_name: "Functional",
      config: {
        name: config.name ?? null,
        layers: translated,
        input_layers: this.ends(config.input_layers, new Set()),
        output_layers: this.ends(config.output_layers, endsShifted),
      },
    };
  }

  private layer(layer: JsonObject, layerPath: string[], group: string): JsonObject {
    const className = String(layer.class_name);
    const name = layerPath[layerPath.length - 1];
    if (MODELS.has(className)) {
      const inner = this.model(layer, layerPath, group);
      return { ...inner, name };
    }
    const config = isObject(layer.config) ? layer.config : {};
    const check = LAYERS[className];
    const why = check === undefined ? "its class" : check?.(config);
    if (why !== undefined || String(layer.module ?? "").includes(".ops")) {
      this.unsupported.push(`"${layerPath.join("/")}" (${className}${check === undefined ? "" : `: ${why}`})`);
      return { class_name: className, config: {}, name };
    }
    this.weights.push({ layerPath, group: `${group}vars` });
    return { class_name: className, config: this.layerConfig(className, config, layerPath.join("/")), name };
  }

  private layerConfig(className: string, config: JsonObject, where: string): JsonObject {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(config)) {
      if (key === "dtype") out.dtype = this.dtype(value, where);
      // every variable comes from the file: zeros are the cheapest start (and never a class tfjs lacks)
      else if (key.endsWith("_initializer")) out[key] = { class_name: "Zeros", config: {} };
      // for training only; tfjs lacks some of Keras 3's
      else if (key.endsWith("_regularizer") || key.endsWith("_constraint")) out[key] = null;
      else if (key === "activation") out.activation = this.activation(value, where);
      else if (key === "batch_shape") out.batch_input_shape = value;
      else if (key === "lora_rank" || key === "quantization_config") {
        if (value !== null && value !== undefined)
          this.unsupported.push(`"${where}" (${className}: ${key} ${JSON.stringify(value)})`);
      } else if (key !== "optional" && key !== "synchronized") out[key] = value;
    }
    if (className === "InputLayer" && out.batch_input_shape === undefined && Array.isArray(config.shape)) {
      out.batch_input_shape = [null, ...config.shape];
    }
    return out;
  }

  /** A DTypePolicy → the dtype of its variables; mixed precision computes in float32 here. */
  private dtype(value: Json, where: string): Json {
    const name = isObject(value) ? (isObject(value.config) ? value.config.name : undefined) : value;
    if (name === undefined || name === null) return "float32";
    if (typeof name !== "string")
      this.fail(`layer "${where}" has dtype ${JSON.stringify(value)}, which convlens cannot read`);
    if (name === "float32" || name.startsWith("mixed_")) return "float32";
    if (name === "int32" || name === "bool") return name;
    this.unsupported.push(`"${where}" (dtype ${name}: convlens computes in float32; save the model in float32)`);
    return "float32";
  }

  private activation(value: Json, where: string): Json {
    // a built-in activation serialized as a function object names it in its config
    const name = isObject(value) && value.class_name === "function" ? value.config : value;
    // Keras 3 calls swish "silu"; tfjs knows it as swish
    if (typeof name === "string") return name === "silu" ? "swish" : name;
    if (name === null) return null;
    this.unsupported.push(`"${where}" (activation ${JSON.stringify(isObject(value) ? value.class_name : value)})`);
    return null;
  }

  /** A Functional's inbound nodes as [[layer, node, tensor, kwargs], …] per call. */
  private nodes(nodes: Json | undefined, shifted: Set<string>): Json[] {
    if (nodes === undefined || nodes === null) return [];
    if (!Array.isArray(nodes)) this.fail(`a layer's inbound_nodes is ${describeValue(nodes)} in config.json`);
    return nodes.map((node) => {
      if (Array.isArray(node)) return node; // already Keras 2's form (tf-keras)
      if (!isObject(node)) this.fail(`an inbound node is ${describeValue(node)} in config.json`);
      const kwargs: JsonObject = {};
      for (const [key, value] of Object.entries(isObject(node.kwargs) ? node.kwargs : {}))
        if (value !== null) kwargs[key] = value;
      return kerasTensors(node.args).map(([layer, index, tensor]) => [
        layer,
        index + (shifted.has(layer) ? 1 : 0),
        tensor,
        kwargs,
      ]);
    });
  }

  /** input_layers / output_layers: one [layer, node, tensor] or a list of them. */
  private ends(value: Json | undefined, shifted: Set<string>): Json[] {
    if (!Array.isArray(value) || value.length === 0)
      this.fail(`a model's input_layers or output_layers is ${describeValue(value)} in config.json`);
    const list = (typeof value[0] === "string" ? [value] : value) as Json[];
    return list.map((end) => {
      if (!Array.isArray(end) || typeof end[0] !== "string" || typeof end[1] !== "number")
        this.fail(`a model's output is ${JSON.stringify(end)} in config.json`);
      return [end[0], end[1] + (shifted.has(end[0]) ? 1 : 0), end[2] ?? 0];
    });
  }

  /** Throws one error naming every layer tfjs cannot rebuild. */
  checkSupported(): void {
    if (this.unsupported.length === 0) return;
    const list =
      this.unsupported.slice(0, 8).join(", ") +
      (this.unsupported.length > 8 ? `, and ${this.unsupported.length - 8} more` : "");
    this.fail(
      `convlens cannot rebuild ${this.unsupported.length === 1 ? "layer" : "layers"} ${list}. ` +
        `It reads Sequential and Functional models made of ${[...Object.keys(LAYERS), ...MODELS].join(", ")}; ` +
        "for other layers, convert the model with tensorflowjs_converter and load its model.json",
    );
  }
}

/**
 * A Sequential's layers with its InputLayer's shape on the first real layer instead, as Keras 2
 * wrote them: Keras's Sequential.layers leaves the InputLayer out, and so does tfjs's then, so
 * layer indices are Keras's.
 */
function withoutInputLayer(layers: JsonObject[]): JsonObject[] {
  const [first, second, ...rest] = layers;
  if (first?.class_name !== "InputLayer" || !second || !isObject(first.config) || !isObject(second.config))
    return layers;
  return [{ ...second, config: { ...second.config, batch_input_shape: first.config.batch_input_shape } }, ...rest];
}

function nameOf(layer: JsonObject): string {
  const name = layer.name ?? (isObject(layer.config) ? layer.config.name : undefined);
  if (typeof name !== "string")
    throw new ConvlensError(`a layer of class ${String(layer.class_name)} has no name in config.json`);
  return name;
}

/** Every Keras tensor among a call's arguments, as [layer, node, tensor], in order. */
function kerasTensors(args: Json | undefined): [string, number, number][] {
  if (Array.isArray(args)) return args.flatMap(kerasTensors);
  if (!isObject(args)) return [];
  const history = isObject(args.config) ? args.config.keras_history : undefined;
  if (args.class_name === "__keras_tensor__" && Array.isArray(history) && typeof history[0] === "string") {
    return [[history[0], Number(history[1] ?? 0), Number(history[2] ?? 0)]];
  }
  return [];
}

/**
 * The topology tfjs rebuilds from a .keras archive's config.json (parsed), and where each layer's
 * variables are in its model.weights.h5. `source` names the file in errors.
 */
export function translateKerasConfig(config: unknown, source: string): TranslatedModel {
  if (!isObject(config))
    throw new ConvlensError(
      `${source}: config.json is ${describeValue(config)}, not a Keras model config (corrupt archive)`,
    );
  const className = String(config.class_name);
  if (!MODELS.has(className)) {
    const what = config.class_name === undefined ? "no model class" : `a ${className} model`;
    throw new ConvlensError(
      `${source} holds ${what}: convlens rebuilds Keras Sequential and Functional models only (a subclassed model's ` +
        `call() is Python code); rebuild it functionally with keras.Model(inputs, outputs) and save that`,
    );
  }
  const translator = new Translator(source);
  const topology = translator.model(config, [], "");
  translator.checkSupported();
  return { topology, weights: translator.weights };
}
