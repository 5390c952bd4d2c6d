// What the convlens kernel runs once while it starts, before any cell (issue 18): convlens's main
// paths on a tiny model and picture it makes itself. The first cell that uses a path otherwise
// pays for its first run: V8 compiling each function on its first call, TensorFlow setting up
// its kernels, the PNG codec, a graph session. Measured on 2 cores: notebook 01's first
// feature-maps cell spent ~0.15 s of CPU on that, which a class pays 16 times over at the
// teacher's word; at start it is spent while students open the notebook.
//
// Nothing is shown or kept but two things: panels and fallback pictures are made but no widget is
// opened, no message is sent, and every tensor is freed. What is kept is the graph session of the
// demo network the notebooks open with (the shapes CNN), idle in the pool, run once for a first
// layer and for the explorer's first layer as notebook 01 does: a student's first `shapesCnn()`
// model then runs in it, without TF loading and optimising the same graph again (~60 ms of CPU
// per student on 2 cores). And the default `shapeSamples()` set notebook 01 draws its arrow from
// (98 KB of pixels, kept by shapeSamples): drawing it decodes the photos it is drawn on.
import * as tf from "@tensorflow/tfjs-node";
import { featureMaps } from "./compute/featureMaps";
import { filters } from "./compute/filters";
import { loadImage } from "./compute/images";
import { summary } from "./compute/summary";
import { releaseGraph } from "./compute/graph/per-model";
import { shapesCnn } from "./demo";
import { shapeSamples } from "./demo/samples";
import { modelExplorerSource } from "./display/model-source";
import { encodeMontagePng, panelMontage, stackImages } from "./display/montage";
import { filtersPanel, mapsPanel } from "./display/state";

/** Side of the warm-up's picture and its model's input. */
const SIDE = 24;

/** A small conv net of the shapes the notebooks use: conv, pooling, conv (random weights). */
function tinyModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [SIDE, SIDE, 3], filters: 4, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }),
    ],
  });
}

/** What the warm-up ran. */
export interface WarmUpPaths {
  /** Whether featureMaps ran the model's TensorFlow graph (the tensorflow backend), as cells do. */
  graph: boolean;
  /** Whether the shapes CNN's graph session is left in the pool (false: its model did not load, or no graph) */
  demoGraph: boolean;
  /** Whether shapeSamples' default set is drawn and kept (false: no photos to draw on) */
  samples: boolean;
}

/** Runs the paths of notebook 01's cells once on a tiny model, then on the shapes CNN (its graph session kept idle); nothing is displayed. */
export async function warmUpPaths(): Promise<WarmUpPaths> {
  const model = tinyModel();
  let graph = false;
  try {
    await runPaths(model);
  } finally {
    graph = releaseGraph(model, true); // its session closed: no cell has its graph
    model.dispose();
  }
  return { graph, demoGraph: await demoGraphPaths(), samples: drawSamples() };
}

/** notebook 01's shapeSamples(), drawn (and kept by shapeSamples) before its cell asks; whether it was. */
function drawSamples(): boolean {
  try {
    shapeSamples();
    return true;
  } catch {
    return false; // no photos to draw on: the cell that asks says so
  }
}

/** notebook 01's feature maps and explorer start on the shapes CNN, with their panels, graph session kept; whether it ran. */
async function demoGraphPaths(): Promise<boolean> {
  let model: tf.LayersModel;
  try {
    model = await shapesCnn();
  } catch {
    return false; // a package without the demo weights: the cells that load them say so
  }
  let kept = false;
  try {
    const png = await picturePng();
    const image = await loadImage(png);
    const [maps] = await featureMaps(model, image, 0);
    // notebook 01's first grid, its panel and PNG fallback at their own size: V8 optimises their
    // loops on planes this size, not on the tiny model's (~0.1 s of CPU the first time, ~0.025 s after)
    await encodeMontagePng(stackImages([panelMontage(mapsPanel(maps, png, { columns: 8, pageSize: 64 }))]));
    const explorer = await modelExplorerSource(model, image);
    const start = explorer.layers[1]; // block2_conv1, where notebook 01's explorer starts
    if (start) panelMontage(mapsPanel(await explorer.computeMaps(start.index), null));
  } finally {
    kept = releaseGraph(model);
    model.dispose();
  }
  return kept;
}

/** A SIDE × SIDE PNG of a colour ramp. */
async function picturePng(): Promise<Uint8Array> {
  const pixels = tf.tidy(
    () =>
      tf
        .linspace(0, 255, SIDE * SIDE * 3)
        .reshape([SIDE, SIDE, 3])
        .toInt() as tf.Tensor3D,
  );
  return tf.node.encodePng(pixels).finally(() => pixels.dispose());
}

/** The cells' paths on `model`: a picture, its summary, maps, filters, the explorer's maps. */
async function runPaths(model: tf.LayersModel): Promise<void> {
  const png = await picturePng();
  const image = await loadImage(png);
  summary(model);
  // featureMaps (its graph), the maps panels and their PNG fallback, as showFeatureMaps makes them
  const stacks = await featureMaps(model, image, [0, 2]);
  const panels = stacks.map((stack) => mapsPanel(stack, png, { columns: 2, pageSize: 4 }));
  await encodeMontagePng(stackImages(panels.map(panelMontage)));
  // a filter grid, and the explorer's maps with their display planes
  await encodeMontagePng(panelMontage(filtersPanel(filters(model, 0))));
  const explorer = await modelExplorerSource(model, image);
  panelMontage(mapsPanel(await explorer.computeMaps(explorer.layers[1].index), null));
}
