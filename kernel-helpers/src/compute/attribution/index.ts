// Attribution maps: which parts of an image a CNN's class score depends on.
export { gradCam, type GradCamOptions, type GradCamResult } from "./gradcam";
export { saliency, type SaliencyOptions, type SaliencyResult } from "./saliency";
export { occlusion, type OcclusionOptions, type OcclusionResult } from "./occlusion";
export type { ClassScores } from "./shared";
