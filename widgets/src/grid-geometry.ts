// Where each tile of a grid page goes on the figure's one pair of axes, whose units are the
// source's rows and columns: tile i's cell (row, col) is centred at origin(i) + (col, row).
import { strideFor } from "./downsample";

export const TITLE_PX = 16;
export const GAP_PX = 6;

/** Where tile `i` sits in the shared axes' units (source pixels), and each tile's thinning. */
export interface GridGeometry {
  /** source rows/columns per drawn cell */
  dy: number;
  dx: number;
  /** axis units from one tile's origin to the next tile's, across and down */
  pitchX: number;
  pitchY: number;
  origin(i: number): { x: number; y: number };
  /** where tile i's title is centred */
  title(i: number): { x: number; y: number };
  xRange: [number, number];
  /** reversed: row 0 at the top */
  yRange: [number, number];
  width: number;
  height: number;
}

export function gridGeometry(tileCount: number, columns: number, tileSize: number, rows: number, cols: number): GridGeometry {
  const gridRows = Math.max(1, Math.ceil(tileCount / columns));
  const dy = strideFor(rows, tileSize);
  const dx = strideFor(cols, tileSize);
  // a drawn tile spans its cells: ceil(n / stride) cells of `stride` source pixels each
  const spanY = Math.ceil(rows / dy) * dy;
  const spanX = Math.ceil(cols / dx) * dx;
  const unitsPerPxY = spanY / tileSize;
  const unitsPerPxX = spanX / tileSize;
  const pitchX = (tileSize + GAP_PX) * unitsPerPxX;
  const pitchY = (tileSize + TITLE_PX + GAP_PX) * unitsPerPxY;
  const titleUnits = TITLE_PX * unitsPerPxY;
  // cell k of a tile is centred on origin + k·stride, so a tile's left edge is origin − stride/2
  const left = -dx / 2;
  const top = -dy / 2 - titleUnits;
  const origin = (i: number) => ({ x: (i % columns) * pitchX, y: Math.floor(i / columns) * pitchY });
  return {
    dy,
    dx,
    pitchX,
    pitchY,
    origin,
    title: (i) => {
      const { x, y } = origin(i);
      return { x: x - dx / 2 + spanX / 2, y: y - dy / 2 - titleUnits / 2 };
    },
    xRange: [left, left + columns * pitchX],
    yRange: [top + gridRows * pitchY, top],
    width: columns * (tileSize + GAP_PX),
    height: gridRows * (tileSize + TITLE_PX + GAP_PX),
  };
}
