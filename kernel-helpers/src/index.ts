// The convlens API for notebook cells: `import * as convlens from "convlens"`.
// package.json is the one source of the version: npm publishes and installs by it.
export const version: string = (require("../package.json") as { version: string }).version;
export * from "./display";
export * from "./compute";
export { Widget, display } from "./runtime/widget";
export type { WidgetSpec, WidgetState, ChangeHandler, MessageHandler, DisplayFallback } from "./runtime/widget";
export { demoCnn, demoCnnMetadata, DEMO_MODEL_DIR, type DemoCnnMetadata } from "./demo";
export { shapesCnn, shapesCnnMetadata, SHAPES_MODEL_DIR, SHAPE_CLASSES, type ShapesCnnMetadata } from "./demo";
export { shapeSamples, type ShapeSample, type ShapeSamplesOptions } from "./demo/samples";
