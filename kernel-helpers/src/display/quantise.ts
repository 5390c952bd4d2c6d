// Display planes travel as uint8 codes with a per-plane affine map back to floats:
// value ≈ offset[p] + scale[p] * code. One byte per value keeps a 64×224×224 layer at 3 MB.

export interface QuantisedPlanes {
  /** count × planeSize codes, plane after plane */
  codes: Uint8Array;
  /** per plane: value ≈ offset + scale * code */
  scale: Float32Array;
  offset: Float32Array;
}

/**
 * Quantises `count` consecutive planes of `planeSize` values each to uint8, each plane over its
 * own min..max (so a dim channel keeps its detail). Non-finite values get code 0 and are left out
 * of the plane's range; a constant plane gets scale 0.
 */
export function quantisePlanes(data: Float32Array, count: number, planeSize: number): QuantisedPlanes {
  if (data.length !== count * planeSize) {
    throw new Error(`convlens: ${data.length} values cannot be ${count} planes of ${planeSize}`);
  }
  const codes = new Uint8Array(data.length);
  const scale = new Float32Array(count);
  const offset = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    const start = p * planeSize;
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < start + planeSize; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!Number.isFinite(min)) min = max = 0; // empty or all non-finite
    const step = (max - min) / 255;
    offset[p] = min;
    scale[p] = step;
    if (step === 0) continue;
    for (let i = start; i < start + planeSize; i++) {
      const code = Math.round((data[i] - min) / step);
      // NaN fails both comparisons and gets 0; +Infinity clamps to 255.
      codes[i] = code > 255 ? 255 : code > 0 ? code : 0;
    }
  }
  return { codes, scale, offset };
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
