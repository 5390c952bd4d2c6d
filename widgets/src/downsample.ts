// A 224×224 map drawn in an 88 px tile puts ~2.5 source pixels on each screen pixel, and Plotly
// paints every one of them (per-cell canvas work, then a PNG encode/decode per trace). Showing
// every stride-th row and column instead costs ~1/stride² of that and looks the same at that size.

/** Rows (and columns) of the source per displayed cell, so that at most `pixels` cells fill a side. */
export function strideFor(length: number, pixels: number): number {
  return Math.max(1, Math.ceil(length / Math.max(1, Math.floor(pixels))));
}

/** A tile's rows thinned to every `rowStride`-th row and `colStride`-th column, starting at 0. */
export function decimate<T>(rows: ArrayLike<T>[], rowStride: number, colStride: number): T[][] | ArrayLike<T>[] {
  if (rowStride === 1 && colStride === 1) return rows;
  const out: T[][] = [];
  for (let y = 0; y < rows.length; y += rowStride) {
    const source = rows[y];
    const row: T[] = [];
    for (let x = 0; x < source.length; x += colStride) row.push(source[x]);
    out.push(row);
  }
  return out;
}
