// The computing half of the convlens API (models, summary, filters, feature maps, images, predictions).
export { ConvlensError } from "../errors";
export type { LayerSpec } from "../layers";
export { resolveLayer } from "../layers";
export { vgg16, vgg19, type VggOptions } from "../models/vgg";
export { loadModel, type LoadModelOptions } from "../models/load";
export { loadKerasWeights, type WeightsSourceOptions } from "../models/weights";
export { cachedDownload, textProgress, type DownloadProgress, type ProgressHandler } from "../models/download";
export { setPreprocessing, preprocessingFor, setLabels, labelsFor, type Preprocessing } from "../models/info";
export { summary, type ModelSummary, type SummaryRow } from "./summary";
export { convLayers, filters, biases, type ConvLayerInfo, type FilterOptions } from "./filters";
export { loadImage, imageToInput, preprocess, type LoadedImage, type ImageSource, type InputOptions } from "./images";
export { featureMaps, featureMapsEngine, featureMapsSync, type FeatureMapsEngine, type ImageLike } from "./featureMaps";
export { predict, imagenetLabel, type Prediction, type PredictOptions } from "./predict";
export { readLabels } from "../models/labels";
export { receptiveField, receptiveFieldOf, receptiveFieldAxes, type ReceptiveField, type UnitReceptiveField, type ReceptiveFieldAxes, type ReceptiveFieldOptions, type PixelBox } from "./receptive-field";
export * from "./attribution";
export { maximizeActivation, type MaximizeOptions, type MaximizedChannel, type MaximizedActivations } from "./maximize";
export { layersView } from "../layers-view";
