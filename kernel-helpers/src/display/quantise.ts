// Display planes travel as uint8 codes with a per-plane affine map back to floats:
// value ≈ offset[p] + scale[p] * code. One byte per value keeps a 64×224×224 layer at 3 MB.

export interface QuantisedPlanes {
  /** count × planeSize codes, plane after plane */
  codes: Uint8Array;
  /** per plane: value ≈ offset + scale * code */
  scale: Float32Array;
  offset: Float32Array;
}

/** min..max of data[start, end) over its finite values; NaN fails every comparison, so only ±Infinity needs a second look. */
function finiteRange(data: Float32Array, start: number, end: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === -Infinity || max === Infinity) {
    min = Infinity;
    max = -Infinity;
    for (let i = start; i < end; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? [min, max] : [0, 0]; // empty, or nothing finite
}

/**
 * Quantises `count` consecutive planes of `planeSize` values each to uint8, each plane over its
 * own min..max (so a dim channel keeps its detail). Non-finite values are left out of the plane's
 * range: NaN and -Infinity get code 0, +Infinity 255; a constant plane gets scale 0.
 */
export function quantisePlanes(data: Float32Array, count: number, planeSize: number): QuantisedPlanes {
  if (data.length !== count * planeSize) {
    throw new Error(`convlens: ${data.length} values cannot be ${count} planes of ${planeSize}`);
  }
  // Storing into a Uint8ClampedArray rounds to the nearest code, clamps to 0..255 and turns NaN
  // into 0 natively: one multiply-subtract per value in JS.
  const clamped = new Uint8ClampedArray(data.length);
  const scale = new Float32Array(count);
  const offset = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    const start = p * planeSize;
    const end = start + planeSize;
    const [min, max] = finiteRange(data, start, end);
    offset[p] = min;
    scale[p] = (max - min) / 255;
    if (max === min) continue;
    const perUnit = 255 / (max - min);
    for (let i = start; i < end; i++) clamped[i] = (data[i] - min) * perUnit;
  }
  return { codes: new Uint8Array(clamped.buffer), scale, offset };
}

/** The float a code stands for (what the front end draws). */
export function dequantise(q: QuantisedPlanes, plane: number, index: number, planeSize: number): number {
  return q.offset[plane] + q.scale[plane] * q.codes[plane * planeSize + index];
}

/** Mean of each plane (for "sort by mean activation"). */
export function planeMeans(data: Float32Array, count: number, planeSize: number): Float32Array {
  const means = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    let sum = 0;
    for (let i = p * planeSize; i < (p + 1) * planeSize; i++) sum += data[i];
    means[p] = sum / planeSize;
  }
  return means;
}
