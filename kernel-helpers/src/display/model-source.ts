// Adapters from a model + image to what the display classes take, built on the computing helpers.
import * as tf from "@tensorflow/tfjs-node";
import { convLayers, filters, type FilterOptions } from "../compute/filters";
import { featureMapsForDisplay, type ImageLike } from "../compute/featureMaps";
import { withDisplayPlanes } from "./state";
import { isLoadedImage, loadImage, type LoadedImage } from "../compute/images";
import type { LayerSpec } from "../layers";
import type { ExplorerSource, FilterSource } from "./controller";

/** Longest side of the input image shown beside the grid. */
const DISPLAY_SIDE = 224;

/** Every page of one conv layer's filters, for showFilters(filterPages(model, "block1_conv1")). */
export function filterPages(model: tf.LayersModel, layer: LayerSpec, normalise: FilterOptions["normalise"] = "minmax"): FilterSource {
  return (page) =>
    filters(model, layer, {
      normalise,
      filters: [page.filterStart, page.filterStart + page.filters],
      channels: [page.channelStart, page.channelStart + page.channels],
    });
}

/**
 * The explorer's source for a model and one image: its conv layers, their maps and filters. The
 * stacks computeMaps returns carry display planes made with them: they are for showing as they
 * are (change a copy: `{ ...stack, data: stack.data.slice() }`).
 */
export async function modelExplorerSource(model: tf.LayersModel, image: ImageLike, normalise: FilterOptions["normalise"] = "minmax"): Promise<ExplorerSource> {
  const input = image instanceof tf.Tensor || isLoadedImage(image) ? image : await loadImage(image);
  return {
    layers: convLayers(model).map(({ name, index }) => ({ name, index })),
    // the explorer's own stacks: the graph's display planes go with them (the switch's quantising)
    computeMaps: (layerIndex) => {
      const { stack, display } = featureMapsForDisplay(model, input, layerIndex);
      return withDisplayPlanes(stack, display);
    },
    computeFilters: (layerIndex, page) => filterPages(model, layerIndex, normalise)(page),
    image: isLoadedImage(input) ? await loadedImagePng(input) : null,
  };
}

/** PNG bytes of a loaded image, shrunk so its longest side is at most `side` (224) px. */
export async function loadedImagePng(image: LoadedImage, side = DISPLAY_SIDE): Promise<Uint8Array> {
  const scale = Math.min(1, side / Math.max(image.height, image.width));
  const size: [number, number] = [Math.max(1, Math.round(image.height * scale)), Math.max(1, Math.round(image.width * scale))];
  const pixels = tf.tidy(() => {
    const rgb = tf.tensor3d(image.rgb, [image.height, image.width, 3], "int32");
    return (scale < 1 ? tf.image.resizeBilinear(rgb, size, true).round().toInt() : rgb) as tf.Tensor3D;
  });
  try {
    return await tf.node.encodePng(pixels);
  } finally {
    pixels.dispose();
  }
}
