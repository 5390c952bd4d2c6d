// The widget's wire state as the front end sees it (typed arrays already deserialised). The types
// are the kernel's own (kernel-helpers/src/display/wire.ts), imported from the built package:
// type-only, so nothing of the kernel side is bundled.
import type {
  Arrangement,
  ColourScale,
  FiltersPanelState,
  LayerRef,
  MapsPanelState,
  PanelChoices,
  PanelState,
  PlanesState,
  Request,
  ScaleMode,
  SortOrder,
  ValueReply,
} from "convlens/dist/display/wire";

export type { Arrangement, ColourScale, LayerRef, PanelChoices, Request, ScaleMode, SortOrder, ValueReply };
export type Planes = PlanesState;
export type MapsPanel = MapsPanelState;
export type FiltersPanel = FiltersPanelState;
export type Panel = PanelState;

// the attribution panel (attribution-panel.ts)
import type { AttributionPanelState, ClassBar } from "convlens/dist/display/wire";
export type { ClassBar };
export type AttributionPanel = AttributionPanelState;

/**
 * Widget state saved before the key was renamed held the arrangement under `layout`, the key
 * DOMWidgetModel keeps for a Layout model reference ("IPY_MODEL_<id>"). Such a plain string becomes
 * `arrangement`, and `layout` goes: ipywidgets would try to build a Layout view from the string.
 */
export function renameOldLayout<S extends Record<string, unknown>>(state: S): S {
  const old = state.layout;
  if (typeof old !== "string" || old.startsWith("IPY_MODEL_")) return state;
  const { layout: _old, ...rest } = state;
  const arrangement: Arrangement | undefined = old === "stacked" || old === "tabs" ? old : undefined;
  return (rest.arrangement === undefined && arrangement ? { ...rest, arrangement } : rest) as unknown as S;
}

/** Binary state arrives as DataView (from the kernel or from saved widget state); view it with the right type. */
export function asUint8(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}

export function asFloat32(v: unknown): Float32Array | null {
  if (v instanceof Float32Array) return v;
  const bytes = asUint8(v);
  if (!bytes) return null;
  // A Float32Array view needs a 4-byte aligned offset; copy when the buffer does not give one.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
}

export function planesFrom(raw: Record<string, unknown>): Planes {
  return {
    count: Number(raw.count),
    height: Number(raw.height),
    width: Number(raw.width),
    codes: asUint8(raw.codes) ?? new Uint8Array(0),
    scale: asFloat32(raw.scale) ?? new Float32Array(0),
    offset: asFloat32(raw.offset) ?? new Float32Array(0),
    exact: asFloat32(raw.exact),
  };
}

export function asInt32(v: unknown): Int32Array | null {
  if (v instanceof Int32Array) return v;
  const bytes = asUint8(v);
  if (!bytes) return null;
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Int32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
}

/** A maps panel's receptive fields; null when absent or malformed (saved by an older convlens). */
export function receptiveFieldFrom(raw: unknown): MapsPanel["receptive_field"] {
  if (raw === null || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const rows = asInt32(r.rows);
  const cols = asInt32(r.cols);
  const height = Number(r.input_height);
  const width = Number(r.input_width);
  if (!rows || !cols || !(height > 0) || !(width > 0)) return null;
  return { input_height: height, input_width: width, rows, cols };
}

/** Deserialiser of the `panels` key: typed arrays where the kernel sent buffers. */
export function panelsFrom(raw: unknown): Panel[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((p: Record<string, unknown>) => {
    if (p.kind === "attribution") {
      const map = planesFrom((p.map ?? {}) as Record<string, unknown>);
      return { ...(p as unknown as AttributionPanel), map, image: asUint8(p.image) ?? new Uint8Array(0) };
    }
    const planes = planesFrom((p.planes ?? {}) as Record<string, unknown>);
    if (p.kind === "maps") {
      return { ...(p as unknown as MapsPanel), planes, means: asFloat32(p.means) ?? new Float32Array(planes.count), image: asUint8(p.image), receptive_field: receptiveFieldFrom(p.receptive_field) };
    }
    return { ...(p as unknown as FiltersPanel), planes };
  });
}

/** Per plane minimum and maximum, from the quantisation's offset and scale. */
export function planeRange(planes: Planes, plane: number): [number, number] {
  const min = planes.offset[plane];
  return [min, min + 255 * planes.scale[plane]];
}

/**
 * One plane as rows of floats, for a Plotly heatmap's z: exact values if present, else the codes
 * mapped back; every `rowStride`-th row and `colStride`-th column only (a thinned grid tile costs
 * its drawn cells, not the whole plane).
 */
export function planeRows(planes: Planes, plane: number, rowStride = 1, colStride = 1): Float32Array[] {
  const { height, width } = planes;
  const size = height * width;
  const rows: Float32Array[] = [];
  if (planes.exact && colStride === 1) {
    const values = planes.exact.subarray(plane * size, (plane + 1) * size);
    for (let y = 0; y < height; y += rowStride) rows.push(values.subarray(y * width, (y + 1) * width));
    return rows;
  }
  const offset = planes.offset[plane];
  const scale = planes.scale[plane];
  const start = plane * size;
  const cols = Math.ceil(width / colStride);
  for (let y = 0; y < height; y += rowStride) {
    const row = new Float32Array(cols);
    const at = start + y * width;
    if (planes.exact) for (let x = 0, i = 0; x < width; x += colStride, i++) row[i] = planes.exact[at + x];
    else for (let x = 0, i = 0; x < width; x += colStride, i++) row[i] = offset + scale * planes.codes[at + x];
    rows.push(row);
  }
  return rows;
}

/**
 * The shortest decimal that reads back as the same float32: what "exact value" means for
 * a float32 (a double's 17 digits would show noise the kernel does not have).
 */
export function formatFloat32(value: number): string {
  const f = Math.fround(value);
  if (!Number.isFinite(f)) return String(f);
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(f);
}
