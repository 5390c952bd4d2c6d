// Wire state of a "maximized" panel (showMaximized): maximizeActivation's synthesised images, the
// progress of the run that makes them, and what a click on an image shows. Part of the widget's
// one wire definition (wire.ts re-exports it); kept in its own file because it is one panel kind.
import type { LayerRef } from "../types";
import type { MapsPanelState, PlanesState } from "./wire";

/** "running" until the last step; "cancelled" (interrupted) and "failed" runs keep what they had. */
export const MAXIMIZED_PHASES = ["running", "done", "cancelled", "failed"] as const;
export type MaximizedPhase = (typeof MAXIMIZED_PHASES)[number];

/** Per shown channel, the sample images that excite it most (by its mean activation over space). */
export interface MaximizedSamples {
  /** PNG thumbnails of the samples that made some channel's top list, each once */
  thumbnails: Uint8Array[];
  /** each thumbnail's name (a file name, or "sample N"), shown as text */
  names: string[];
  /** top samples per channel: `top` and `means` hold channels × per_channel entries */
  per_channel: number;
  /** indices into `thumbnails`, best first; −1 where there are fewer samples than per_channel */
  top: Int32Array;
  /** the channel's mean activation on each of those samples */
  means: Float32Array;
}

export interface MaximizedPanelState {
  kind: "maximized";
  layer: LayerRef;
  total_channels: number;
  /** the channels shown, in the order asked */
  channels: number[];
  phase: MaximizedPhase;
  /** steps done of steps (the progress bar while running; where a cancelled run stopped) */
  step: number;
  steps: number;
  /** the seed maximizeActivation used (passing it again repeats the images); −1 while unknown */
  seed: number;
  /** image size; 0 × 0 until the run is done */
  height: number;
  width: number;
  /** channels × height × width × 3 RGB bytes, image after image (empty until done) */
  images: Uint8Array;
  /** per channel: its mean activation on its image, and on the starting noise */
  activations: Float32Array;
  start_activations: Float32Array;
  /** the sample image (PNG) a click shows the channel's feature map for, or null */
  image: Uint8Array | null;
  /** that image's feature maps of the shown channels, plane i for channels[i]; null without an image */
  maps: PlanesState | null;
  /** which input pixels reach each unit of those maps (hover draws the box on the image) */
  receptive_field: MapsPanelState["receptive_field"];
  samples: MaximizedSamples | null;
  /** images per row */
  columns: number;
}
