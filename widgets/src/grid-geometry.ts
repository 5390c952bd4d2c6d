// Where each tile of a grid page goes in the page's mosaic: one heatmap whose cells are the tiles'
// drawn cells, with empty cells for the gaps between tiles and the title band above each row.
import { strideFor } from "./downsample";

export const TITLE_PX = 16;
export const GAP_PX = 6;

export interface GridGeometry {
  /** source rows/columns per drawn cell (a big map is thinned to about one cell per pixel) */
  dy: number;
  dx: number;
  /** mosaic cells per source cell, down and across (a tiny kernel is repeated, so gaps stay narrow) */
  repY: number;
  repX: number;
  /** mosaic cells of one tile */
  tileRows: number;
  tileCols: number;
  /** empty cells between tiles, and above each row of tiles for the titles */
  gapRows: number;
  gapCols: number;
  titleRows: number;
  /** the whole mosaic, in cells */
  rows: number;
  cols: number;
  /** its size on screen, in pixels */
  width: number;
  height: number;
  /** the mosaic cell of tile i's first (top-left) cell */
  origin(i: number): { row: number; col: number };
  /** where tile i's title is centred, in cell coordinates (x = column, y = row) */
  title(i: number): { x: number; y: number };
  /** which tile, and which source row and column, a mosaic cell shows; null for a gap */
  at(row: number, col: number): { tile: number; row: number; col: number } | null;
  /** the mosaic position (x = column, y = row, fractional) at the middle of source (row, col) of tile i */
  cellOf(i: number, row: number, col: number): { x: number; y: number };
}

/** Above this many pixels a side, a drawn cell is repeated: gaps and titles are whole cells. */
const MAX_CELL_PX = 3;

/**
 * `count` tiles of `height`×`width` source pixels, `columns` to a row, each drawn `tileSize` pixels
 * a side; the gaps and title bands are whole cells, as close to GAP_PX and TITLE_PX as cells allow.
 */
export function gridGeometry(count: number, columns: number, tileSize: number, height: number, width: number): GridGeometry {
  const dy = strideFor(height, tileSize);
  const dx = strideFor(width, tileSize);
  const repY = Math.max(1, Math.floor(tileSize / Math.ceil(height / dy) / MAX_CELL_PX));
  const repX = Math.max(1, Math.floor(tileSize / Math.ceil(width / dx) / MAX_CELL_PX));
  const tileRows = Math.ceil(height / dy) * repY;
  const tileCols = Math.ceil(width / dx) * repX;
  const cellHeight = tileSize / tileRows;
  const cellWidth = tileSize / tileCols;
  const gapRows = Math.max(1, Math.round(GAP_PX / cellHeight));
  const gapCols = Math.max(1, Math.round(GAP_PX / cellWidth));
  const titleRows = Math.max(1, Math.round(TITLE_PX / cellHeight));
  const pitchRows = titleRows + tileRows + gapRows;
  const pitchCols = tileCols + gapCols;
  const gridRows = Math.max(1, Math.ceil(count / columns));
  const gridCols = Math.max(1, Math.min(columns, count));
  const rows = gridRows * pitchRows - gapRows;
  const cols = gridCols * pitchCols - gapCols;
  const origin = (i: number) => ({ row: Math.floor(i / columns) * pitchRows + titleRows, col: (i % columns) * pitchCols });
  return {
    dy,
    dx,
    repY,
    repX,
    tileRows,
    tileCols,
    gapRows,
    gapCols,
    titleRows,
    rows,
    cols,
    width: Math.round(cols * cellWidth),
    height: Math.round(rows * cellHeight),
    origin,
    title: (i) => {
      const o = origin(i);
      return { x: o.col + (tileCols - 1) / 2, y: o.row - 0.5 - titleRows / 2 };
    },
    at: (row, col) => {
      const gridRow = Math.floor(row / pitchRows);
      const gridCol = Math.floor(col / pitchCols);
      const inRow = row - gridRow * pitchRows - titleRows;
      const inCol = col - gridCol * pitchCols;
      const tile = gridRow * columns + gridCol;
      if (inRow < 0 || inRow >= tileRows || inCol < 0 || inCol >= tileCols || gridCol >= columns || tile >= count) return null;
      return { tile, row: Math.floor(inRow / repY) * dy, col: Math.floor(inCol / repX) * dx };
    },
    cellOf: (i, row, col) => {
      const o = origin(i);
      return { x: o.col + Math.floor(col / dx) * repX + (repX - 1) / 2, y: o.row + Math.floor(row / dy) * repY + (repY - 1) / 2 };
    },
  };
}
