// The display half of convlens: widgets of feature maps, filters and the layer explorer.
export { showFeatureMaps, showFilters, showLayers, explore, ConvLensWidget, textLine } from "./show";
export type { ShowMapsOptions, ShowFiltersOptions, ExploreOptions, ImageInput } from "./show";
export type { ExplorerSource, FilterSource, FilterPage } from "./controller";
export { filterPages, modelExplorerSource } from "./model-source";
export { quantisePlanes } from "./quantise";
