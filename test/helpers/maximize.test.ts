// maximizeActivation: synthesised images excite their channels more than any sample photo does,
// are repeatable from a seed, can be cancelled, and refuse bad input with a convlens error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { maximizeActivation, type MaximizeOptions } from "../../kernel-helpers/src/compute/maximize";
import { reluSignGrad, scoredTensor } from "../../kernel-helpers/src/compute/maximize-objective";
import { featureMaps } from "../../kernel-helpers/src/compute/featureMaps";
import { loadImage } from "../../kernel-helpers/src/compute/images";
import { demoCnn, SAMPLE_PHOTOS, shapesCnn } from "../../kernel-helpers/src/demo";
import { shapeSamples } from "../../kernel-helpers/src/demo/samples";
import { convlensRoot } from "../../kernel-helpers/src/demo/photos";
import { setPreprocessing } from "../../kernel-helpers/src/models/info";
import type { ChannelStack } from "../../kernel-helpers/src/types";
import { everyKind, tinyCnn } from "./fixtures";
import { ascentGraph } from "../../kernel-helpers/src/compute/graph/ascent-graph";
import { savedModelSessions } from "../../kernel-helpers/src/compute/tfjs-node-internals";

const IMAGES = join(convlensRoot(), "notebooks", "images");

function channelMean(maps: ChannelStack, channel: number): number {
  const plane = maps.height * maps.width;
  let sum = 0;
  for (let i = 0; i < plane; i++) sum += maps.data[channel * plane + i];
  return sum / plane;
}

/** Any input size: conv (relu) → pool → conv (linear) → pool; "none" preprocessing unless told. */
function flexibleCnn(preprocess: "none" | "caffe" = "none"): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({ name: "flexible" });
  model.add(
    tf.layers.conv2d({
      inputShape: [null, null, 3],
      filters: 6,
      kernelSize: 3,
      activation: "relu",
      name: "conv_a",
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool_a" }));
  model.add(tf.layers.conv2d({ filters: 5, kernelSize: 3, name: "conv_b", kernelInitializer: init(2) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool_b" }));
  setPreprocessing(model, preprocess);
  return model;
}

test("each synthesised image beats every sample picture on its channel, and ≥ 3× the starting noise", async () => {
  const files = readdirSync(IMAGES).filter((f) => /\.(png|jpg)$/.test(f));
  const missing = `the sample photos are missing from ${IMAGES}: run the set-up (scripts/setup.sh)`;
  assert.equal(files.length, SAMPLE_PHOTOS.length, missing);
  // the photos the notebooks show and the held-out shape pictures the shapes CNN names
  const pictures = [
    ...(await Promise.all(files.map((f) => loadImage(join(IMAGES, f))))),
    ...shapeSamples({ count: 16 }).map((s) => s.image),
  ];
  const model = await shapesCnn();
  const layer = "block4_conv2"; // the demo network's last conv: 8×8 maps of 128 channels
  const page = Array.from({ length: 16 }, (_, i) => i);
  // featureMaps resizes each picture to the network's 64×64 input, as a notebook would
  const pictureMaps = await Promise.all(pictures.map(async (p) => (await featureMaps(model, p, layer))[0]));
  const before = tf.memory().numTensors;
  const steps: number[] = [];
  const onProgress = (step: number) => steps.push(step);
  const result = await maximizeActivation(model, layer, page, { steps: 128, seed: 7, onProgress });
  assert.equal(tf.memory().numTensors, before, "no tensor outlives the call");
  assert.equal(steps.length, 128);
  assert.equal(result.objective, "pre-activation");
  assert.deepEqual([result.height, result.width, result.totalChannels], [64, 64, 128]);
  const report: string[] = [];
  for (const [i, entry] of result.channels.entries()) {
    assert.equal(entry.channel, page[i]);
    assert.equal(entry.image.rgb.length, 64 * 64 * 3);
    // measured again from the returned 8-bit image, the way a notebook would
    const measured = channelMean((await featureMaps(model, entry.image, layer))[0], entry.channel);
    const tolerance = 1e-4 * Math.max(1, measured);
    assert.ok(Math.abs(measured - entry.activation) <= tolerance, `${measured} vs reported ${entry.activation}`);
    const best = Math.max(...pictureMaps.map((maps) => channelMean(maps, entry.channel)));
    const start = entry.startActivation;
    const line = `channel ${entry.channel}: ${measured.toFixed(3)} (best picture ${best.toFixed(3)}, start ${start.toFixed(3)})`;
    report.push(line);
    assert.ok(measured > best, line);
    assert.ok(measured >= 3 * start, line);
    assert.ok(measured > 0, line); // a start at or below 0 makes "3×" empty: the channel must really fire
  }
  console.log(`# ${layer}\n# ${report.join("\n# ")}`);
  model.dispose();
});

test("the ascent's ReLU gradient is tfjs's own: same values, same gradients, 0 at 0", () => {
  const x = tf.tensor1d([-2, -0.5, 0, 0, 1e-30, 0.25, 3, -0]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
  const [ours, theirs] = [reluSignGrad, tf.relu].map((f) => tf.grad((t: tf.Tensor) => f(t))(x, dy));
  assert.deepEqual(Array.from(ours.dataSync()), Array.from(theirs.dataSync()));
  assert.deepEqual(Array.from(ours.dataSync()), [0, 0, 0, 0, 5, 6, 7, 0]);
  const y = reluSignGrad(x);
  assert.deepEqual(Array.from(y.dataSync()), Array.from(tf.relu(x).dataSync()));
  tf.dispose([x, dy, ours, theirs, y]);
});

test("the same seed gives identical bytes; another seed, other images", async () => {
  const model = await demoCnn();
  const options: MaximizeOptions = { steps: 6, seed: 11 };
  const run = async (o: MaximizeOptions) => {
    const result = await maximizeActivation(model, "block2_conv2", [5, 9, 30], o);
    return result.channels.map((c) => Buffer.from(c.image.rgb));
  };
  const [a, b, c] = [await run(options), await run(options), await run({ ...options, seed: 12 })];
  a.forEach((bytes, i) => {
    assert.ok(bytes.equals(b[i]), `channel image ${i} differs between two runs with seed 11`);
    assert.ok(!bytes.equals(c[i]), `channel image ${i} is the same with seeds 11 and 12`);
  });
  // a channel's image does not depend on the rest of its page (its own noise stream; shared transforms)
  const alone = Buffer.from((await maximizeActivation(model, "block2_conv2", 9, options)).channels[0].image.rgb);
  const differing = alone.filter((v, i) => v !== a[1][i]).length;
  const furthest = Math.max(...alone.map((v, i) => Math.abs(v - a[1][i])));
  assert.ok(differing <= alone.length / 100 && furthest <= 1, `${differing} bytes differ, by up to ${furthest}`);
  const noSeed = await maximizeActivation(model, "block2_conv2", 5, { steps: 1 });
  assert.ok(Number.isInteger(noSeed.seed) && noSeed.seed >= 0, "a run without a seed reports the one it drew");
  const again = await maximizeActivation(model, "block2_conv2", 5, { steps: 1, seed: noSeed.seed });
  assert.ok(Buffer.from(again.channels[0].image.rgb).equals(Buffer.from(noSeed.channels[0].image.rgb)));
  model.dispose();
});

test("aborting the signal mid-run cancels with a convlens error and leaks nothing", async () => {
  const model = await demoCnn();
  await maximizeActivation(model, "block3_conv2", [0, 1], { steps: 1, seed: 1 }); // builds what is cached per model
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const seen: [number, number][] = [];
  await assert.rejects(
    maximizeActivation(model, "block3_conv2", [0, 1], {
      steps: 50,
      seed: 1,
      signal: controller.signal,
      onProgress: (step, steps) => {
        seen.push([step, steps]);
        if (step === 3) controller.abort();
      },
    }),
    (error: Error) =>
      error.name === "ConvlensError" && /^convlens: .*cancelled after 3 of 50 steps/.test(error.message),
  );
  assert.deepEqual(seen, [
    [1, 50],
    [2, 50],
    [3, 50],
  ]);
  assert.equal(tf.memory().numTensors, before, "nothing left behind by the cancelled run");
  // an interrupt arriving from outside (a timer, as a kernel's SIGINT handler would) lands between steps
  const outside = new AbortController();
  setTimeout(() => outside.abort(), 30);
  const long = maximizeActivation(model, "block3_conv2", [0, 1], { steps: 100000, signal: outside.signal });
  await assert.rejects(long, /cancelled/);
  assert.equal(tf.memory().numTensors, before);
  const early = maximizeActivation(model, "block3_conv2", 0, { signal: AbortSignal.abort() });
  await assert.rejects(early, /cancelled after 0 of 128 steps/);
  model.dispose();
});

test("progress is reported once per step; twenty short calls leak no tensor", async () => {
  const model = tinyCnn();
  await maximizeActivation(model, "conv_b", [0, 5], { steps: 1, seed: 1 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    const calls: number[] = [];
    const onProgress = (step: number, steps: number) => calls.push(step * 100 + steps);
    const result = await maximizeActivation(model, i % 2 ? "conv_b" : "pool_a", [0, 3], {
      steps: 2,
      seed: i,
      onProgress,
    });
    assert.deepEqual(calls, [102, 202]);
    assert.equal(result.channels.length, 2);
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test("a model of any input size gets the size asked for; images are in display space for caffe too", async () => {
  const model = flexibleCnn("caffe");
  const result = await maximizeActivation(model, "conv_a", [1, 4], { steps: 20, seed: 3, size: [20, 24] });
  assert.deepEqual([result.height, result.width], [20, 24]);
  for (const entry of result.channels) {
    assert.deepEqual([entry.image.height, entry.image.width, entry.image.rgb.length], [20, 24, 20 * 24 * 3]);
    // featureMaps applies the model's caffe preprocessing to the returned RGB: the same number
    const measured = channelMean((await featureMaps(model, entry.image, "conv_a"))[0], entry.channel);
    const tolerance = 1e-4 * Math.max(1, measured);
    assert.ok(Math.abs(measured - entry.activation) <= tolerance, `${measured} vs ${entry.activation}`);
    assert.ok(entry.activation > entry.startActivation, `channel ${entry.channel} climbed`);
  }
  const pixel = await maximizeActivation(model, "conv_b", 2, {
    steps: 20,
    seed: 3,
    size: 16,
    parameterization: "pixel",
  });
  assert.equal(pixel.objective, "output"); // a linear conv: its output is its pre-activation
  assert.equal(pixel.parameterization, "pixel");
  assert.ok(pixel.channels[0].activation > pixel.channels[0].startActivation);
  assert.equal((await maximizeActivation(model, "pool_a", 0, { steps: 1, seed: 1 })).height, 128, "the default size");
  model.dispose();
});

test("bad input is refused with a convlens error that names the fix", async () => {
  const model = await demoCnn();
  const flexible = flexibleCnn();
  const page = (channels: number | number[]) => () => maximizeActivation(model, "block3_conv2", channels);
  const options = (o: MaximizeOptions) => () => maximizeActivation(model, "block3_conv2", 0, o);
  const cases: [() => Promise<unknown>, RegExp][] = [
    [
      () => maximizeActivation(model, "avg_pool", 0),
      /layer 9 "avg_pool" \(GlobalAveragePooling2D\) has output shape \[null, 128\].*convolution or pooling layer/,
    ],
    [() => maximizeActivation(model, "block3_conv3", 0), /no layer named "block3_conv3"/],
    [page(128), /channel 128 is out of range: layer 7 "block3_conv2" has 128 channels, so use integers from 0 to 127/],
    [page([1, -1]), /channel -1 is out of range/],
    [page(1.5), /channel 1.5 is not an integer: layer 7/],
    [page([]), /needs a channel index or a non-empty list/],
    [page([3, 3]), /channel 3 is asked for twice/],
    [options({ steps: 0 }), /steps must be an integer ≥ 1/],
    [options({ steps: 2.5 }), /steps must be an integer ≥ 1/],
    [options({ size: 64 }), /fixed 32×32 input, so size 64 cannot be used; leave size out/],
    [options({ learningRate: -1 }), /learningRate must be a positive number/],
    [options({ seed: -3 }), /seed must be an integer from 0/],
    [options({ jitter: 40 }), /jitter must be a shift in pixels from 0 to less than the image side \(32\)/],
    [options({ parameterization: "lucid" as "pixel" }), /parameterization must be "fourier" or "pixel"/],
    [
      options({ steps: 1, stepz: 3 } as MaximizeOptions),
      /unknown maximizeActivation option "stepz"; the options are steps, size/,
    ],
    [options({ onProgress: 3 as unknown as () => void }), /onProgress must be a function/],
    [options({ signal: {} as AbortSignal }), /signal must be an AbortSignal/],
    [
      () => maximizeActivation(flexible, "pool_b", 0, { size: 6 }),
      /layer \d "(conv_b|pool_b)" has no pixels left .* for a 6×6 image/,
    ],
    [
      () => maximizeActivation(flexible, "conv_a", 0, { size: 0 }),
      /size must be an integer from 1 to 1024, or a \[height, width\] pair/,
    ],
    [() => maximizeActivation(Promise.resolve(model) as unknown as tf.LayersModel, 1, 0), /it is a Promise: add await/],
  ];
  const before = tf.memory().numTensors;
  for (const [call, pattern] of cases) {
    await assert.rejects(call(), (e: Error) => e.name === "ConvlensError" && pattern.test(e.message), String(pattern));
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
  flexible.dispose();
});

test("what is climbed is the layer's own computation: its pre-activation, or its output", async () => {
  const model = await demoCnn();
  const flexible = flexibleCnn();
  const upTo = (m: tf.LayersModel) => (t: tf.SymbolicTensor) => tf.model({ inputs: m.inputs, outputs: t });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const check = (m: tf.LayersModel, name: string, kind: "pre-activation" | "output") => {
    const index = m.layers.findIndex((l) => l.name === name);
    const scored = scoredTensor(m, index, upTo(m));
    assert.equal(scored.kind, kind, name);
    const [ours, real] = tf.tidy(() => {
      const forward = scored.forward(x);
      // a leaky ReLU of the pre-activation, put through a ReLU, is the layer's real output
      const real = upTo(m)(m.layers[index].output as tf.SymbolicTensor).predict(x) as tf.Tensor;
      return [kind === "output" ? forward : tf.relu(forward), real];
    });
    const gap = tf.tidy(() => ours.sub(real).abs().max().dataSync()[0]);
    const scale = tf.tidy(() => real.abs().max().dataSync()[0]);
    assert.ok(gap <= 1e-5 * Math.max(1, scale), `${name}: differs by ${gap} (values up to ${scale})`);
    tf.dispose([ours, real]);
    if (kind !== "output") return;
    // the gradient climbed equals tfjs's own through the part model (fused convs, its ReLU gradient)
    const part = upTo(m)(m.layers[index].output as tf.SymbolicTensor);
    const [g, reference] = tf.tidy(() => [
      tf.grad((t: tf.Tensor) =>
        scored
          .forward(t as tf.Tensor4D)
          .square()
          .sum(),
      )(x),
      tf.grad((t: tf.Tensor) => (part.apply(t) as tf.Tensor).square().sum())(x),
    ]);
    const gradGap = tf.tidy(() => g.sub(reference).abs().max().dataSync()[0]);
    const gradScale = tf.tidy(() => reference.abs().max().dataSync()[0]);
    assert.ok(
      gradScale > 0 && gradGap <= 1e-5 * gradScale,
      `${name}: gradients differ by ${gradGap} (up to ${gradScale})`,
    );
    tf.dispose([g, reference]);
  };
  // a page's channels only: the same numbers as those channels of the whole pre-activation
  for (const name of ["block3_conv2", "block2_pool"]) {
    const index = model.layers.findIndex((l) => l.name === name);
    const [whole, page] = [null, [5, 2, 30]].map((channels) => scoredTensor(model, index, upTo(model), channels));
    assert.deepEqual([whole.channels, page.channels], [null, [5, 2, 30]]);
    const gap = tf.tidy(
      () => tf.gather(whole.forward(x), [5, 2, 30], 3).sub(page.forward(x)).abs().max().dataSync()[0],
    );
    assert.ok(gap <= 1e-5, `${name}: a page's channels differ by ${gap}`);
  }
  check(model, "block1_conv1", "pre-activation");
  check(model, "block3_conv2", "pre-activation");
  check(model, "block2_pool", "pre-activation"); // a max pooling commutes with the ReLU
  check(flexible, "conv_b", "output"); // a linear conv
  check(flexible, "pool_b", "output");
  x.dispose();
  model.dispose();
  flexible.dispose();
});

/** The eager loss maximizeActivation climbs without the graph: −Σ each image's mean of its own channel. */
function eagerLoss(scored: ReturnType<typeof scoredTensor>, mask: tf.Tensor) {
  return (x: tf.Tensor) =>
    scored
      .forward(x as tf.Tensor4D)
      .mul(mask)
      .sum(3)
      .mean([1, 2])
      .sum()
      .neg() as tf.Scalar;
}

test("the graph's objective and gradient are the eager pass's, for every layer kind the graph translates", () => {
  // undilated: tfjs has no gradient for a dilated conv (the graph's is checked below)
  const model = everyKind([21, 17, 3], false);
  const upTo = (t: tf.SymbolicTensor) => tf.model({ inputs: model.inputs, outputs: t });
  const x = tf.randomNormal([2, 21, 17, 3], 0, 1, "float32", 11) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const kinds = new Set<string>();
  for (let index = 1; index < model.layers.length; index++) {
    const layer = model.layers[index];
    const total = (layer.output as tf.SymbolicTensor).shape[3] as number;
    const pre = scoredTensor(model, index, upTo).kind === "pre-activation";
    // a page of two channels, backwards: image 0 climbs the page's second, image 1 its first
    const channels = pre ? [total - 1, 0] : null;
    const scored = scoredTensor(model, index, upTo, channels);
    kinds.add(`${layer.getClassName()} ${scored.kind}`);
    const mask = tf.tidy(() =>
      (pre ? tf.eye(2) : tf.oneHot(tf.tensor1d([total - 1, 0], "int32"), total)).reshape([2, 1, 1, -1]),
    );
    const ascent = ascentGraph(model, index, channels, mask, [2, 21, 17, 3]);
    assert.ok(typeof ascent === "object", `${layer.name}: ${String(ascent)}`);
    try {
      const [value, reference, gradient, referenceGradient] = tf.tidy(() => {
        const ours = tf.valueAndGrad(ascent.loss)(x);
        const theirs = tf.valueAndGrad(eagerLoss(scored, mask))(x);
        return [ours.value, theirs.value, ours.grad, theirs.grad];
      });
      const [v, r] = [value.dataSync()[0], reference.dataSync()[0]];
      assert.ok(Math.abs(v - r) <= 1e-4 * Math.max(1, Math.abs(r)), `${layer.name}: objective ${v} vs ${r}`);
      const gap = tf.tidy(() => gradient.sub(referenceGradient).abs().max().dataSync()[0]);
      const scale = tf.tidy(() => referenceGradient.abs().max().dataSync()[0]);
      assert.ok(scale > 0 && gap <= 1e-4 * scale, `${layer.name}: gradients differ by ${gap} (up to ${scale})`);
      tf.dispose([value, reference, gradient, referenceGradient]);
    } finally {
      ascent.dispose();
      mask.dispose();
    }
  }
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  // both kinds of target were climbed, through every translated layer kind
  for (const kind of [
    "Conv2D pre-activation",
    "Conv2D output",
    "MaxPooling2D pre-activation",
    "AveragePooling2D output",
    "Dropout output",
    "Activation output",
    "ReLU output",
  ]) {
    assert.ok(kinds.has(kind), `${kind} among ${[...kinds].join(", ")}`);
  }
  x.dispose();
  model.dispose();
});

test("maximizeActivation climbs through the graph, and op by op where the graph cannot go or TF refuses it", async (t) => {
  const backend = savedModelSessions();
  assert.ok(backend, "tfjs-node's TF sessions");
  // the sessions this call opens and closes, by id (the total open count also moves when a
  // garbage-collected model's feature-map graph is closed by its finalizer, at any moment)
  const loads = t.mock.method(backend, "load");
  const closes = t.mock.method(backend, "close");
  const sessionsWhileClimbing = async (model: tf.LayersModel, layer: string) => {
    const [loaded, closed] = [loads.mock.callCount(), closes.mock.callCount()];
    const stillOpen = () => {
      const shut = new Set(closes.mock.calls.slice(closed).map((call) => call.arguments[0]));
      return loads.mock.calls.slice(loaded).filter((call) => !shut.has(call.result as number)).length;
    };
    let during = -1;
    const result = await maximizeActivation(model, layer, [0, 1], {
      steps: 3,
      seed: 4,
      onProgress: () => (during = stillOpen()),
    });
    assert.equal(stillOpen(), 0, "the graph's session is closed after the call");
    return { during, result };
  };
  const model = await demoCnn();
  assert.equal((await sessionsWhileClimbing(model, "block2_conv2")).during, 1, "one graph session while climbing");
  // a layer the graph has no translation for, before the climbed conv: the eager pass alone
  const padded = tf.sequential({ name: "padded" });
  padded.add(tf.layers.zeroPadding2d({ inputShape: [12, 12, 3], padding: 1 }));
  padded.add(
    tf.layers.conv2d({
      filters: 3,
      kernelSize: 3,
      activation: "relu",
      name: "conv",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  setPreprocessing(padded, "none");
  const eager = await sessionsWhileClimbing(padded, "conv");
  assert.equal(eager.during, 0);
  assert.ok(eager.result.channels.every((c) => c.activation > c.startActivation));
  // TF failing to run the graph: said once, the same climb continues op by op
  const reference = (await sessionsWhileClimbing(model, "block2_conv2")).result;
  const warnings: string[] = [];
  t.mock.method(console, "warn", (line: string) => warnings.push(line));
  const failing = t.mock.method(backend, "run", () => {
    throw new Error("No OpKernel was registered to support Op 'MaxPoolGrad'");
  });
  const before = tf.memory().numTensors;
  const fallen = (await sessionsWhileClimbing(model, "block2_conv2")).result;
  assert.equal(failing.mock.callCount(), 1, "the graph is not tried again after it failed");
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /^convlens: maximizeActivation continues op by op \(slower\): TensorFlow could not run its graph: No OpKernel/,
  );
  assert.equal(tf.memory().numTensors, before);
  // the same function either way: the images differ only by the passes' rounding
  fallen.channels.forEach((c, i) => {
    const ref = reference.channels[i];
    assert.ok(
      Math.abs(c.activation - ref.activation) <= 0.05 * Math.abs(ref.activation) + 1e-3,
      `channel ${c.channel}: ${c.activation} vs ${ref.activation}`,
    );
  });
  padded.dispose();
  model.dispose();
});

test("through a dilated conv, which tfjs cannot differentiate, the graph's gradient is that of the same conv undilated", () => {
  const dilated = everyKind([21, 17, 3]);
  // the same function: every weight shared, the dilated kernel spread out with zeros between its taps
  const spread = everyKind([21, 17, 3], false);
  dilated.layers.forEach((layer, i) => {
    if (layer.name !== "dilated_sigmoid") return spread.layers[i].setWeights(layer.getWeights());
    const [kernel, bias] = layer.getWeights();
    const [kh, kw, cin, cout] = kernel.shape;
    const taps = kernel.arraySync() as number[][][][];
    const wide = tf.buffer([2 * kh - 1, 2 * kw - 1, cin, cout]);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) wide.set(taps[i][j][c][o], 2 * i, 2 * j, c, o);
    const wideKernel = wide.toTensor();
    spread.layers[i].setWeights([wideKernel, bias]);
    wideKernel.dispose();
  });
  const upTo = (t: tf.SymbolicTensor) => tf.model({ inputs: spread.inputs, outputs: t });
  const x = tf.randomNormal([2, 21, 17, 3], 0, 1, "float32", 12) as tf.Tensor4D;
  const mask = tf.eye(2).reshape([2, 1, 1, 2]);
  for (const name of ["dilated_sigmoid", "relu6", "max_same"]) {
    const index = dilated.layers.findIndex((l) => l.name === name);
    const ascent = ascentGraph(dilated, index, [3, 1], mask, [2, 21, 17, 3]);
    assert.ok(typeof ascent === "object", String(ascent));
    const scored = scoredTensor(spread, index, upTo, [3, 1]);
    const [gradient, reference] = tf.tidy(() => [tf.grad((t: tf.Tensor) => ascent.loss(t as tf.Tensor4D))(x), tf.grad(eagerLoss(scored, mask))(x)]);
    const gap = tf.tidy(() => gradient.sub(reference).abs().max().dataSync()[0]);
    const scale = tf.tidy(() => reference.abs().max().dataSync()[0]);
    assert.ok(scale > 0 && gap <= 1e-4 * scale, `${name}: gradients differ by ${gap} (up to ${scale})`);
    tf.dispose([gradient, reference]);
    ascent.dispose();
  }
  tf.dispose([x, mask]);
  dilated.dispose();
  spread.dispose();
});
