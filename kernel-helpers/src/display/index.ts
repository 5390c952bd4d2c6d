// The display half of convlens: widgets of feature maps, filters and the layer explorer.
export { showFeatureMaps, showFilters, showLayers, explore, ConvLensWidget, textLine } from "./show";
export type { ShowMapsOptions, ShowFiltersOptions, ExploreOptions, ImageInput } from "./show";
export type { ExplorerSource, FilterSource, FilterPage } from "./controller";
export { filterPages, modelExplorerSource } from "./model-source";
export { quantisePlanes } from "./quantise";
export { compare } from "./compare";
export type { CompareOptions } from "./compare";
// attribution (issue 16 item 3): a class's Grad-CAM / saliency / occlusion map over the image, beside the top-k classes
export { showAttribution, AttributionWidget } from "./attribution";
export type { ShowAttributionOptions } from "./attribution";
// maximized activations (issue 16 item 2): maximizeActivation's images with progress, each clickable for its feature map
export { showMaximized } from "./maximized";
export type { ShowMaximizedOptions, ShowMaximizedResultOptions, SampleImage } from "./maximized";
