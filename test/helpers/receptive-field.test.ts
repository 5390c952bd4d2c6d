// Receptive fields (compute/receptive-field.ts) against two independent references:
//  - the published table of google-research/receptive_field, the library of Araujo, Norris & Sim,
//    "Computing Receptive Fields of Convolutional Neural Networks" (Distill 2019), file
//    receptive_field/RECEPTIVE_FIELD_TABLE.md at commit f12ae8e7: RF size, effective stride and
//    effective padding of the end-points listed for vgg_16, alexnet_v2 and mobilenet_v1 (TF-Slim models, so
//    TensorFlow's "same" padding; mobilenet_v1's differs between 224 and 321 pixels). Their
//    effective padding P is minus our offset: the field of unit i starts at −P + i·stride.
//  - a brute force on small models: one input pixel at a time is lit and a forward pass shows which
//    units it reaches; the bounding box of those pixels must be the unit's clipped box. Lit whole
//    rows and columns of a 96×96 image measure the field's size, and where the pixels reaching a
//    unit span that size they must be its whole (unclipped) box.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-node";
import { buildVgg } from "../../kernel-helpers/src/models/vgg";
import {
  receptiveField,
  receptiveFieldAxes,
  receptiveFieldOf,
  type PixelBox,
  type ReceptiveField,
} from "../../kernel-helpers/src/compute/receptive-field";
import { tinyCnn } from "./fixtures";

/** [end-point, RF, effective stride, effective padding] rows of the table, for one resolution. */
type TableRow = [string, number, number, number];

// vgg_16 rows; identical at 224 and 321 (every stride-2 layer is a "valid" pool). Keras names.
const VGG16_TABLE: TableRow[] = [
  ["block1_conv1", 3, 1, 1],
  ["block1_pool", 6, 2, 2],
  ["block2_conv1", 10, 2, 4],
  ["block2_pool", 16, 4, 6],
  ["block3_conv1", 24, 4, 10],
  ["block3_conv2", 32, 4, 14],
  ["block3_pool", 44, 8, 18],
  ["block4_conv1", 60, 8, 26],
  ["block4_conv2", 76, 8, 34],
  ["block4_pool", 100, 16, 42],
  ["block5_conv1", 132, 16, 58],
  ["block5_conv2", 164, 16, 74],
  ["block5_pool", 212, 32, 90],
];

function checkTableRow(field: ReceptiveField, [name, rf, stride, padding]: TableRow, where: string): void {
  const message = `${where} ${name}`;
  assert.deepEqual(field.size, { height: rf, width: rf }, message);
  assert.deepEqual(field.jump, { row: stride, col: stride }, message);
  // 0 − padding: −0 would not equal the 0 computed
  assert.deepEqual(field.offset, { row: 0 - padding, col: 0 - padding }, message);
  // the table's README: centre = −P + i·stride + (RF − 1)/2
  const centre = -padding + (rf - 1) / 2;
  assert.deepEqual(field.centre, { row: centre, col: centre }, message);
}

// one VGG16 per input size, shared by the tests (each build draws 14.7 million random weights)
const vggs = new Map<number, tf.LayersModel>();
function vgg16At(size: number): tf.LayersModel {
  if (!vggs.has(size)) vggs.set(size, buildVgg("vgg16", false, [size, size, 3]));
  return vggs.get(size) as tf.LayersModel;
}
after(() => vggs.forEach((model) => model.dispose()));

test("VGG16: every end-point of the published table, at 224 and 321 pixels", () => {
  for (const size of [224, 321]) {
    const model = vgg16At(size);
    for (const row of VGG16_TABLE) {
      const field = receptiveField(model, row[0]);
      checkTableRow(field, row, `${size} px:`);
      assert.deepEqual(field.input, { height: size, width: size });
    }
    // the well-known headline numbers, by index too (model.layers[18] is block5_pool)
    assert.equal(model.layers[18].name, "block5_pool");
    assert.deepEqual(receptiveField(model, 18).size, { height: 212, width: 212 });
    const units = size === 224 ? 7 : 10;
    assert.deepEqual(receptiveField(model, 18).output, { height: units, width: units });
  }
});

test("VGG16 by hand: block1_conv1 3 px, block1_conv2 5 px, block1_pool 6 px with jump 2", () => {
  const model = vgg16At(224);
  // conv 3×3 "same" (padding 1 before): r = 1 + 2·1 = 3, starting one pixel above/left of the image
  const conv1 = receptiveField(model, "block1_conv1");
  assert.deepEqual([conv1.size.height, conv1.jump.row, conv1.offset.row, conv1.centre.row], [3, 1, -1, 0]);
  // a second one: r = 3 + 2·1 = 5, start −1 − 1·1 = −2
  const conv2 = receptiveField(model, "block1_conv2");
  assert.deepEqual([conv2.size.width, conv2.jump.col, conv2.offset.col], [5, 1, -2]);
  // pool 2×2 stride 2 "valid": r = 5 + (2 − 1)·1 = 6, j = 1·2 = 2, start unchanged
  const pool = receptiveField(model, "block1_pool");
  assert.deepEqual([pool.size.height, pool.jump.row, pool.offset.row], [6, 2, -2]);
  // unit (3, 111) of block1_pool: rows −2 + 3·2 = 4 … 9, columns −2 + 111·2 = 220 … 225,
  // two of them past the image's last column (223)
  const unit = receptiveFieldOf(model, "block1_pool", 3, 111);
  assert.deepEqual(unit.box, { top: 4, left: 220, height: 6, width: 6 });
  assert.deepEqual(unit.clipped, { top: 4, left: 220, height: 6, width: 4 });
  assert.deepEqual(unit.outside, { pixels: 12, fraction: 12 / 36 });
  // block5_pool's unit (0, 0): rows −90 … 121, of which 90 of 212 are padding, in both directions
  const corner = receptiveFieldOf(model, "block5_pool", 0, 0);
  assert.deepEqual(corner.box, { top: -90, left: -90, height: 212, width: 212 });
  assert.deepEqual(corner.clipped, { top: 0, left: 0, height: 122, width: 122 });
  assert.equal(corner.outside.pixels, 212 * 212 - 122 * 122);
});

/** TF-Slim's alexnet_v2 geometry (2 filters each: only the configs matter). */
function alexnetV2(): tf.LayersModel {
  const input = tf.input({ shape: [224, 224, 3] });
  const conv = (name: string, kernelSize: number, strides: number, padding: "same" | "valid") =>
    tf.layers.conv2d({ name, filters: 2, kernelSize, strides, padding, activation: "relu" });
  const pool = (name: string) => tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2, padding: "valid" });
  const layers = [
    conv("conv1", 11, 4, "valid"),
    pool("pool1"),
    conv("conv2", 5, 1, "same"),
    pool("pool2"),
    conv("conv3", 3, 1, "same"),
    conv("conv4", 3, 1, "same"),
    conv("conv5", 3, 1, "same"),
    pool("pool5"),
  ];
  const output = layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: "alexnet_v2" });
}

test("AlexNet v2 (11×11 stride 4): every end-point of the published table", () => {
  const model = alexnetV2();
  const table: TableRow[] = [
    ["conv1", 11, 4, 0],
    ["pool1", 19, 8, 0],
    ["conv2", 51, 8, 16],
    ["conv3", 99, 16, 32],
    ["conv4", 131, 16, 48],
    ["conv5", 163, 16, 64],
    ["pool5", 195, 32, 64],
  ];
  for (const row of table) checkTableRow(receptiveField(model, row[0]), row, "224 px:");
  model.dispose();
});

/**
 * TF-Slim's mobilenet_v1 geometry: a 3×3 stride-2 conv, then 13 depthwise 3×3 + pointwise 1×1
 * pairs, all "same", with batch normalisation and ReLU6 after each (they must pass through).
 */
function mobilenetV1(size: number | null): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const normAndRelu = (name: string) => [
    tf.layers.batchNormalization({ name: `${name}_bn` }),
    tf.layers.reLU({ name: `${name}_relu6`, maxValue: 6 }),
  ];
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({ name: "Conv2d_0", filters: 2, kernelSize: 3, strides: 2, padding: "same" }),
    ...normAndRelu("Conv2d_0"),
  ];
  [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1].forEach((strides, i) => {
    const name = `Conv2d_${i + 1}`;
    layers.push(
      tf.layers.depthwiseConv2d({ name: `${name}_depthwise`, kernelSize: 3, strides, padding: "same" }),
      ...normAndRelu(`${name}_depthwise`),
      tf.layers.conv2d({ name: `${name}_pointwise`, filters: 2, kernelSize: 1, padding: "same" }),
      ...normAndRelu(`${name}_pointwise`),
    );
  });
  const output = layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: "mobilenet_v1" });
}

// mobilenet_v1 rows: [end-point, RF, stride, padding at 224, padding at 321]
const MOBILENET_TABLE: [string, number, number, number, number][] = [
  ["Conv2d_0", 3, 2, 0, 1],
  ["Conv2d_1_pointwise", 7, 2, 2, 3],
  ["Conv2d_2_pointwise", 11, 4, 2, 5],
  ["Conv2d_3_pointwise", 19, 4, 6, 9],
  ["Conv2d_4_pointwise", 27, 8, 6, 13],
  ["Conv2d_5_pointwise", 43, 8, 14, 21],
  ["Conv2d_6_pointwise", 59, 16, 14, 29],
  ["Conv2d_7_pointwise", 91, 16, 30, 45],
  ["Conv2d_8_pointwise", 123, 16, 46, 61],
  ["Conv2d_9_pointwise", 155, 16, 62, 77],
  ["Conv2d_10_pointwise", 187, 16, 78, 93],
  ["Conv2d_11_pointwise", 219, 16, 94, 109],
  ["Conv2d_12_pointwise", 251, 32, 94, 125],
  ["Conv2d_13_pointwise", 315, 32, 126, 157],
];

test("MobileNet v1: 'same' padding with strides depends on the input size, as in the published table", () => {
  for (const size of [224, 321]) {
    const model = mobilenetV1(size);
    for (const [name, rf, stride, p224, p321] of MOBILENET_TABLE) {
      const row: TableRow = [name, rf, stride, size === 224 ? p224 : p321];
      checkTableRow(receptiveField(model, name), row, `${size} px:`);
      // the pointwise 1×1 conv and the ReLU after it change nothing
      checkTableRow(receptiveField(model, `${name}_relu6`), row, `${size} px, after ReLU6:`);
    }
    model.dispose();
  }
  // a model of any input size: the size is an option, and required
  const any = mobilenetV1(null);
  assert.throws(
    () => receptiveField(any, "Conv2d_13_pointwise"),
    error(
      'model "mobilenet_v1" takes images of any height, and the receptive field depends on it: give the input ' +
        "size, as in receptiveField\\(model, layer, \\{ height: 224, width: 224 \\}\\)$",
    ),
  );
  for (const [name, rf, stride, , p321] of MOBILENET_TABLE) {
    checkTableRow(receptiveField(any, name, { height: 321, width: 321 }), [name, rf, stride, p321], "321 px (option):");
  }
  // non-square: rows as at 224, columns as at 321
  const mixed = receptiveField(any, "Conv2d_13_pointwise", { height: 224, width: 321 });
  assert.deepEqual(mixed.offset, { row: -126, col: -157 });
  assert.deepEqual(mixed.output, { height: 7, width: 11 });
  any.dispose();
});

test("by hand: a stride-2 layer that skips the last column leaves the clipped box short of the image edge", () => {
  // 8 columns → 1×1 conv, stride 2, "valid": columns 0, 2, 4, 6 (column 7 is never read) → 3×3 "same" conv
  const input = tf.input({ shape: [8, 8, 1] });
  const a = tf.layers.conv2d({ name: "skip", filters: 1, kernelSize: 1, strides: 2, padding: "valid" }).apply(input);
  const b = tf.layers.conv2d({ name: "same", filters: 1, kernelSize: 3, padding: "same" }).apply(a);
  const model = tf.model({ inputs: input, outputs: b as tf.SymbolicTensor });
  // size 1 + (3 − 1)·2 = 5, jump 2, start −1·2 = −2 ("same" on 4: pad_total 2, 1 before)
  const unit = receptiveFieldOf(model, "same", 3, 3);
  assert.deepEqual(unit.box, { top: 4, left: 4, height: 5, width: 5 });
  // unit 3 reads "skip" units 2, 3 and padding: input columns 4 and 6, so 4 … 6 (not 4 … 7)
  assert.deepEqual(unit.clipped, { top: 4, left: 4, height: 3, width: 3 });
  assert.deepEqual(unit.outside, { pixels: 25 - 16, fraction: 9 / 25 });
  model.dispose();
});

// ---------------------------------------------------------------------------------------------
// Brute force. Weights are random and positive, biases zero, activations linear or ReLU, and the
// images are one lit pixel (value 1 in every channel) on zeros: a unit no lit pixel reaches stays
// exactly 0, and one it reaches is > 0 (positive weights cannot cancel, and a max pool passes the
// increase on), so "reached" is exact, with max pooling as much as with average pooling.

let seed = 1;
const positive = () => tf.initializers.randomUniform({ minval: 0.5, maxval: 1, seed: seed++ });
const conv = (name: string, args: Partial<Parameters<typeof tf.layers.conv2d>[0]>) =>
  tf.layers.conv2d({ name, filters: 2, kernelSize: 3, kernelInitializer: positive(), ...args });

interface Config {
  name: string;
  size: [number, number];
  build: () => tf.layers.Layer[];
}

const CONFIGS: Config[] = [
  {
    name: "stride 2 valid, non-square kernel, average pooling, dilation 2 (odd × even input)",
    size: [23, 20],
    build: () => [
      conv("valid_s2", { strides: 2, padding: "valid" }),
      conv("same_3x2", { kernelSize: [3, 2], padding: "same" }),
      tf.layers.averagePooling2d({ name: "avg_2", poolSize: 2 }),
      conv("dilated_same", { dilationRate: 2, padding: "same" }),
    ],
  },
  {
    name: "dilation 2 valid, max pooling same stride 2, a 2×3 stride-2 'same' conv (odd × even input)",
    size: [21, 18],
    build: () => [
      conv("dilated_valid", { dilationRate: [2, 1], padding: "valid" }),
      tf.layers.maxPooling2d({ name: "max_same_s2", poolSize: 3, strides: 2, padding: "same" }),
      conv("same_2x3_s2", { kernelSize: [2, 3], strides: 2, padding: "same" }),
      conv("same_last", { padding: "same" }),
    ],
  },
  {
    name: "zero padding, cropping and per-pixel layers; a 1×1 stride-2 conv skips rows",
    size: [19, 16],
    build: () => [
      tf.layers.zeroPadding2d({ name: "pad", padding: [[2, 1], [0, 3]] }),
      conv("valid_after_pad", { strides: 2, padding: "valid" }),
      tf.layers.batchNormalization({ name: "bn" }),
      tf.layers.activation({ name: "relu", activation: "relu" }),
      tf.layers.dropout({ name: "dropout", rate: 0.5 }),
      tf.layers.cropping2D({ name: "crop", cropping: [[1, 0], [0, 2]] }),
      tf.layers.averagePooling2d({ name: "avg_same", poolSize: 3, strides: 1, padding: "same" }),
      conv("skip_1x1_s2", { kernelSize: 1, strides: 2, padding: "valid" }),
      conv("same_after_skip", { padding: "same" }),
    ],
  },
  {
    name: "depthwise stride 2 same, separable dilated, max pooling valid (even input)",
    size: [18, 18],
    build: () => [
      tf.layers.depthwiseConv2d({
        name: "depthwise_s2",
        kernelSize: 3,
        strides: 2,
        padding: "same",
        depthwiseInitializer: positive(),
      }),
      tf.layers.separableConv2d({
        name: "separable_d2",
        filters: 2,
        kernelSize: [3, 2],
        dilationRate: 2,
        padding: "same",
        depthwiseInitializer: positive(),
        pointwiseInitializer: positive(),
      }),
      tf.layers.maxPooling2d({ name: "max_valid", poolSize: 2 }),
    ],
  },
];

function buildConfig(config: Config, size = config.size): tf.LayersModel {
  const input = tf.input({ shape: [...size, 2] });
  const output = config.build().reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: "brute" });
}

interface Reached {
  /** [image][row][col]: 1 where the image reaches the unit */
  data: Uint8Array;
  shape: number[];
}

/** Runs `images` [n, height, width, channels] and tells, per layer, which units each image reaches. */
function reachedUnits(model: tf.LayersModel, names: string[], images: () => tf.Tensor4D): Reached[] {
  const outputs = names.map((n) => model.getLayer(n).output as tf.SymbolicTensor);
  const probe = tf.model({ inputs: model.inputs, outputs });
  const reached = tf.tidy(() => {
    const outs = probe.predict(images());
    return (Array.isArray(outs) ? outs : [outs]).map((o) => o.greater(0).any(3));
  });
  const result = reached.map((mask) => ({ data: mask.dataSync() as Uint8Array, shape: mask.shape }));
  tf.dispose(reached);
  return result;
}

/** For every unit of every named layer, the bounding box of the input pixels that reach it. */
function bruteForceBoxes(model: tf.LayersModel, names: string[]): (PixelBox | null)[][][] {
  const [height, width, channels] = model.inputs[0].shape.slice(1) as number[];
  // image p lights pixel p (row p / width, column p % width) in every channel
  const count = height * width;
  const lit = () => tf.eye(count).reshape([count, height, width, 1]).tile([1, 1, 1, channels]) as tf.Tensor4D;
  return reachedUnits(model, names, lit).map(({ data, shape: [, rows, cols] }) => {
    const unitBoxes: (PixelBox | null)[][] = [];
    for (let r = 0; r < rows; r++) {
      unitBoxes.push([]);
      for (let c = 0; c < cols; c++) {
        let [top, left, bottom, right] = [Infinity, Infinity, -1, -1];
        for (let p = 0; p < height * width; p++) {
          if (!data[(p * rows + r) * cols + c]) continue;
          const [y, x] = [Math.floor(p / width), p % width];
          [top, left, bottom, right] = [Math.min(top, y), Math.min(left, x), Math.max(bottom, y), Math.max(right, x)];
        }
        unitBoxes[r].push(bottom < 0 ? null : { top, left, height: bottom - top + 1, width: right - left + 1 });
      }
    }
    return unitBoxes;
  });
}

/**
 * The largest height and width of the pixels reaching one unit, per layer, on an image big
 * enough that central units see their whole field: the receptive field's size, measured. Rows and
 * columns are lit one whole line at a time (every window is a rectangle, so that is enough).
 */
function measuredSizes(model: tf.LayersModel, names: string[]): { height: number; width: number }[] {
  const [height, width, channels] = model.inputs[0].shape.slice(1) as number[];
  const lines = (count: number, axis: 1 | 2) => () =>
    tf.eye(count).reshape(axis === 1 ? [count, count, 1, 1] : [count, 1, count, 1]).tile(
      axis === 1 ? [1, 1, width, channels] : [1, height, 1, channels],
    ) as tf.Tensor4D;
  const longest = ({ data, shape: [n, rows, cols] }: Reached) => {
    let best = 0;
    for (let unit = 0; unit < rows * cols; unit++) {
      let [first, last] = [-1, -1];
      for (let line = 0; line < n; line++) {
        if (!data[line * rows * cols + unit]) continue;
        if (first < 0) first = line;
        last = line;
      }
      if (first >= 0) best = Math.max(best, last - first + 1);
    }
    return best;
  };
  const byRow = reachedUnits(model, names, lines(height, 1)).map(longest);
  const byCol = reachedUnits(model, names, lines(width, 2)).map(longest);
  return names.map((_, i) => ({ height: byRow[i], width: byCol[i] }));
}

for (const config of CONFIGS) {
  test(`brute force, ${config.name}: every unit's clipped box is the box of the pixels that reach it`, () => {
    const model = buildConfig(config);
    const [height, width] = config.size;
    const names = model.layers.slice(1).map((l) => l.name);
    const brute = bruteForceBoxes(model, names);
    const big = buildConfig(config, [96, 96]);
    const sizes = measuredSizes(big, names);
    big.dispose();
    let whole = 0;
    names.forEach((name, i) => {
      const field = receptiveField(model, name);
      const axes = receptiveFieldAxes(model, name);
      assert.deepEqual([field.output.height, field.output.width], [brute[i].length, brute[i][0].length], name);
      assert.deepEqual([axes.rows.length, axes.cols.length], [2 * brute[i].length, 2 * brute[i][0].length], name);
      assert.deepEqual(field.size, sizes[i], `${name}: the size measured on a 96×96 image`);
      brute[i].forEach((rowBoxes, r) =>
        rowBoxes.forEach((expected, c) => {
          const unit = receptiveFieldOf(model, name, r, c);
          const where = `${name} unit (${r}, ${c})`;
          assert.deepEqual(unit.clipped, expected, where);
          // the widget's axis-wise form of the same boxes
          const [top, bottom, left, right] = [axes.rows[2 * r], axes.rows[2 * r + 1], axes.cols[2 * c], axes.cols[2 * c + 1]];
          if (expected) assert.deepEqual([top, bottom, left, right], [expected.top, expected.top + expected.height - 1, expected.left, expected.left + expected.width - 1], `${where} axes`);
          else assert.ok(top === -1 || left === -1, `${where} axes: only padding`);
          // where the reaching pixels span the whole measured size, they are the whole box
          if (expected && expected.height === sizes[i].height) {
            assert.deepEqual([unit.box.top, unit.box.height], [expected.top, expected.height], `${where} rows`);
            whole++;
          }
          if (expected && expected.width === sizes[i].width) {
            assert.deepEqual([unit.box.left, unit.box.width], [expected.left, expected.width], `${where} columns`);
            whole++;
          }
          // pixels of the box outside the image, counted one by one
          let outside = 0;
          for (let y = unit.box.top; y < unit.box.top + unit.box.height; y++) {
            for (let x = unit.box.left; x < unit.box.left + unit.box.width; x++) {
              if (y < 0 || y >= height || x < 0 || x >= width) outside++;
            }
          }
          assert.equal(unit.outside.pixels, outside, where);
          assert.equal(unit.outside.fraction, outside / (unit.box.height * unit.box.width), where);
        }),
      );
    });
    assert.ok(whole > 20, `${whole} whole rows / columns of fields inside the image checked`);
    model.dispose();
  });
}

test("brute force through a Sequential model, and units that see only padding", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.zeroPadding2d({ inputShape: [9, 10, 2], name: "wide_pad", padding: 4 }),
      conv("valid_3", { padding: "valid" }),
      conv("s2", { kernelSize: 2, strides: 2, padding: "valid" }),
    ],
  });
  const names = ["wide_pad", "valid_3", "s2"];
  const brute = bruteForceBoxes(model, names);
  let empty = 0;
  names.forEach((name, i) =>
    brute[i].forEach((rowBoxes, r) =>
      rowBoxes.forEach((expected, c) => {
        const unit = receptiveFieldOf(model, name, r, c);
        assert.deepEqual(unit.clipped, expected, `${name} unit (${r}, ${c})`);
        if (expected === null) {
          empty++;
          assert.equal(unit.outside.fraction, 1);
        }
      }),
    ),
  );
  assert.ok(empty > 0, "some units see only padding");
  // model.layers[0] of a Sequential model is its first layer; a unit there is one pixel, 4 up and left
  assert.deepEqual(receptiveFieldOf(model, 0, 0, 0).box, { top: -4, left: -4, height: 1, width: 1 });
  model.dispose();
});

// ---------------------------------------------------------------------------------------------
// Bad input

const error = (text: string) => new RegExp(`^ConvlensError: convlens: ${text}`);

test("layers that are not feature maps, or that the field cannot be followed through, are refused by name", () => {
  const tiny = tinyCnn();
  assert.throws(
    () => receptiveField(tiny, "flatten"),
    error(
      'layer 4 "flatten" \\(Flatten\\) has output shape \\[null, 384\\], not feature maps \\[batch, height, width, ' +
        "channels\\], so its units have no place on the image; pick a convolution or pooling layer$",
    ),
  );
  assert.throws(
    () => receptiveFieldOf(tiny, "dense", 0, 0),
    error('layer 5 "dense" \\(Dense\\) has output shape \\[null, 10\\]'),
  );
  assert.throws(
    () => receptiveField(tiny, "conv_c"),
    error('model "tiny" has no layer named "conv_c"; nearest names: conv_a, conv_b'),
  );
  assert.throws(() => receptiveField(tiny, 9), error("layer index 9 is out of range"));
  tiny.dispose();

  const input = tf.input({ shape: [16, 16, 3] });
  const a = conv("a", { padding: "same" }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ name: "b", filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: "sum" }).apply([a, b]) as tf.SymbolicTensor;
  const afterSum = tf.layers.conv2d({ name: "after_sum", filters: 2, kernelSize: 3 }).apply(sum) as tf.SymbolicTensor;
  const up = tf.layers.upSampling2d({ name: "up" }).apply(a) as tf.SymbolicTensor;
  const afterUp = tf.layers.conv2d({ name: "after_up", filters: 2, kernelSize: 3 }).apply(up) as tf.SymbolicTensor;
  const transposed = tf.layers.conv2dTranspose({ name: "transposed", filters: 2, kernelSize: 3, strides: 2 }).apply(a);
  const perPixelDense = tf.layers.dense({ name: "dense_4d", units: 2 }).apply(a) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(a) as tf.SymbolicTensor;
  const spatialSoftmax = tf.layers.softmax({ name: "softmax_rows", axis: 1 }).apply(a) as tf.SymbolicTensor;
  // tfjs's Softmax layer works along axis 1 (rows) unless told otherwise; Keras's along −1
  const channelSoftmax = tf.layers.softmax({ name: "softmax_channels", axis: -1 }).apply(a) as tf.SymbolicTensor;
  const outputs = [afterSum, afterUp, transposed, perPixelDense, gap, spatialSoftmax, channelSoftmax];
  const model = tf.model({ inputs: input, outputs: outputs as tf.SymbolicTensor[], name: "mixed" });
  const index = (name: string) => model.layers.findIndex((l) => l.name === name);
  assert.throws(
    () => receptiveField(model, "after_sum"),
    error(
      `layer ${index("sum")} "sum" \\(Add\\) on the way to layer ${index("after_sum")} "after_sum" merges 2 inputs; ` +
        "receptive fields are followed through single-path stacks \\(VGG-like\\), not branches as in ResNet or " +
        "Inception: pick a layer before it$",
    ),
  );
  assert.throws(
    () => receptiveField(model, "after_up"),
    error(`layer ${index("up")} "up" \\(UpSampling2D\\) on the way to layer ${index("after_up")} "after_up" changes`),
  );
  const refused = (name: string, kind: string, rest: string) => {
    const start = `layer ${index(name)} "${name}" \\(${kind}\\) `;
    assert.throws(() => receptiveFieldOf(model, name, 0, 0), error(start + rest));
  };
  refused("transposed", "Conv2DTranspose", "on the way to layer");
  refused("dense_4d", "Dense", "on the way to layer");
  refused("gap", "GlobalAveragePooling2D", "has output shape \\[null, 2\\]");
  refused("softmax_rows", "Softmax", "on the way .* works across rows or columns \\(axis 1\\)");
  // a softmax over channels is per pixel: the field of "a" (3×3, start −1)
  const field = receptiveField(model, "softmax_channels");
  assert.deepEqual([field.size, field.offset], [{ height: 3, width: 3 }, { row: -1, col: -1 }]);
  // the model's input: one pixel
  assert.deepEqual(receptiveFieldOf(model, 0, 5, 7).box, { top: 5, left: 7, height: 1, width: 1 });
  model.dispose();
});

test("units out of range, bad options, an image too small and a non-model are refused with the fix", () => {
  const model = buildConfig(CONFIGS[0]);
  // valid_s2 on 23×20: 11×9 units
  assert.throws(
    () => receptiveFieldOf(model, "valid_s2", 11, 0),
    error(
      'row 11 is out of range for layer 1 "valid_s2": its output is 11×9 for a 23×20 image, ' +
        "so row is an integer from 0 to 10$",
    ),
  );
  assert.throws(() => receptiveFieldOf(model, "valid_s2", 0, -1), error('col -1 is out of range for layer 1 "'));
  assert.throws(() => receptiveFieldOf(model, "valid_s2", 1.5, 0), error("row 1.5 is out of range"));
  assert.throws(() => receptiveFieldOf(model, "valid_s2", "2" as never, 0), error('row "2" is out of range'));
  assert.throws(
    () => receptiveField(model, 1, { height: 24, width: 20 }),
    error('model "brute" takes 23×20 images, so the input height is 23, not 24; leave the option out$'),
  );
  assert.throws(() => receptiveField(model, 1, { size: 3 } as never), error('unknown receptiveField\\(\\) option'));
  assert.throws(() => receptiveField(model, 1, 224 as never), error("receptiveField\\(\\) options are an object"));
  assert.throws(() => receptiveField({} as tf.LayersModel, 1), error("receptiveField\\(\\) needs a model"));
  model.dispose();

  const any = tf.input({ shape: [null, null, 1] });
  const valid = tf.layers.conv2d({ name: "valid_5", filters: 1, kernelSize: 5 }).apply(any) as tf.SymbolicTensor;
  const small = tf.model({ inputs: any, outputs: valid });
  assert.throws(
    () => receptiveFieldOf(small, "valid_5", 0, 0, { height: 3, width: 9 }),
    error('layer 1 "valid_5" has no pixels left \\(0×5\\) for a 3×9 image'),
  );
  assert.throws(
    () => receptiveField(small, 1, { height: 0, width: 9 }),
    error("receptiveField\\(\\) option height is the input height in pixels, not number 0"),
  );
  assert.throws(() => receptiveFieldOf(small, 1, 0, 0, { height: 9 }), error('model "\\w+" takes images of any width'));
  assert.deepEqual(receptiveField(small, 1, { height: 9, width: 9 }).output, { height: 5, width: 5 });
  small.dispose();
});

test("no tensor is left behind", () => {
  const model = buildConfig(CONFIGS[2]);
  const before = tf.memory().numTensors;
  for (const layer of model.layers) {
    const field = receptiveField(model, layer.name);
    receptiveFieldOf(model, layer.name, field.output.height - 1, 0);
  }
  assert.throws(() => receptiveFieldOf(model, "crop", 99, 0));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
