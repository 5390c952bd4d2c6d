// The maximized panel's state as the front end sees it: typed arrays where the kernel (or a saved
// notebook) sent buffers, which arrive as DataViews.
import type { MaximizedPanelState, MaximizedSamples } from "convlens/dist/display/wire";
import { asFloat32, asInt32, asUint8, panelsFrom, planesFrom, receptiveFieldFrom, type Panel } from "./state";

export type MaximizedPanel = MaximizedPanelState;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function samplesFrom(raw: unknown): MaximizedSamples | null {
  if (!isRecord(raw) || !Array.isArray(raw.thumbnails)) return null;
  const thumbnails = raw.thumbnails.map((t) => asUint8(t) ?? new Uint8Array(0));
  const names = Array.isArray(raw.names) ? raw.names.map(String) : [];
  const perChannel = Number(raw.per_channel);
  const top = asInt32(raw.top);
  const means = asFloat32(raw.means);
  if (!top || !means || !(perChannel > 0)) return null;
  return { thumbnails, names, per_channel: perChannel, top, means };
}

export function maximizedPanelFrom(p: Record<string, unknown>): MaximizedPanel {
  const panel = p as unknown as MaximizedPanel;
  return {
    ...panel,
    channels: Array.isArray(p.channels) ? p.channels.map(Number) : [],
    images: asUint8(p.images) ?? new Uint8Array(0),
    activations: asFloat32(p.activations) ?? new Float32Array(0),
    start_activations: asFloat32(p.start_activations) ?? new Float32Array(0),
    image: asUint8(p.image),
    maps: isRecord(p.maps) ? planesFrom(p.maps) : null,
    receptive_field: receptiveFieldFrom(p.receptive_field),
    samples: samplesFrom(p.samples),
  };
}

/** Deserialiser of the `panels` key: panelsFrom, with maximized panels too. */
export function panelsWithMaximized(raw: unknown): Panel[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((p: unknown) => (isRecord(p) && p.kind === "maximized" ? maximizedPanelFrom(p) : panelsFrom([p])[0]));
}
