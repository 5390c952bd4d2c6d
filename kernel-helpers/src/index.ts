// The convlens API for notebook cells: `import * as convlens from "convlens"`.
export const version = "0.1.0";
export * from "./display";
export * from "./compute";
export { Widget, display } from "./kernel/widget";
export type { WidgetSpec, WidgetState, ChangeHandler, MessageHandler, DisplayFallback } from "./kernel/widget";
export { demoCnn, demoCnnMetadata, DEMO_MODEL_DIR, type DemoCnnMetadata } from "./demo";
