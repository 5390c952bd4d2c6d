// A page of small heatmaps drawn as ONE Plotly heatmap: a mosaic whose cells are the tiles'
// cells, with empty (NaN) cells for the gaps and title bands. Each Plotly trace (or subplot) has a
// fixed cost (defaults, calc, its own canvas and PNG encode), which 64 tiles paid 64 times; one
// mosaic pays it once, and what remains grows with the cells drawn. Tiles with their own colour
// ranges are scaled to 0..1 in the mosaic (a trace has one range); hover maps a mosaic cell back to
// its tile and source (row, col), and the tooltip and readout show the real value.
import * as Plotly from "plotly.js-dist-min";
import { plotlyColours } from "./colours";
import { el } from "./dom";
import { gridGeometry, type GridGeometry } from "./grid-geometry";
import { measureSince, timed } from "./timing";
import type { ColourScale } from "./state";

export interface Tile {
  /** shown above the tile as HTML text (textContent); convlens builds it from numbers */
  title: string;
  /** source rows and columns (the same for every tile of a grid) */
  height: number;
  width: number;
  /**
   * Every rowStride-th row and colStride-th column, starting at 0: rows of values (a heatmap) or
   * rows of [r, g, b] 0..255 (an RGB composite). Asked for thinned, so only drawn cells are made.
   */
  cells(rowStride: number, colStride: number): ArrayLike<number>[] | number[][][];
  rgb?: boolean;
  zmin: number;
  zmax: number;
  /** how the tooltip names the tile, e.g. "channel 12" */
  hoverName: string;
}

export interface GridSpec {
  tiles: Tile[];
  columns: number;
  /** pixels per tile side */
  tileSize: number;
  colourScale: ColourScale;
  onHover?: (tile: number, row: number, col: number) => void;
  onUnhover?: () => void;
  onClick?: (tile: number) => void;
}

/** What the grid's element carries for tests and tools: where tiles are, and how values were scaled. */
export interface GridInfo {
  geometry: GridGeometry;
  /** per tile [zmin, zmax] when the mosaic holds values scaled to 0..1; null when it holds them as they are */
  scaled: [number, number][] | null;
}

export interface RenderedGrid {
  element: Plotly.PlotlyHTMLElement & { convlensGrid?: GridInfo };
  /** the tooltip's text for the tile under the mouse (null hides it) */
  tip(text: string | null): void;
  dispose(): void;
}

/**
 * The page's mosaic of values (NaN in the gaps); tiles with differing ranges are scaled to 0..1
 * each. Plain arrays, not typed ones: Plotly's colour clean-up walks every key of any object it
 * finds in an array of rows, which a Float32Array row is and a plain number array is not.
 */
function valueMosaic(tiles: Tile[], g: GridGeometry, scaled: boolean): number[][] {
  const rows = Array.from({ length: g.rows }, () => new Array<number>(g.cols).fill(NaN));
  tiles.forEach((tile, i) => {
    const { row, col } = g.origin(i);
    const span = tile.zmax - tile.zmin;
    const [lo, k] = scaled ? [tile.zmin, span > 0 ? 1 / span : 0] : [0, 1];
    (tile.cells(g.dy, g.dx) as ArrayLike<number>[]).forEach((cells, y) => {
      for (let r = 0; r < g.repY; r++) {
        const target = rows[row + y * g.repY + r];
        for (let x = 0, at = col; x < cells.length; x++) {
          const v = (cells[x] - lo) * k;
          for (let c = 0; c < g.repX; c++) target[at++] = v;
        }
      }
    });
  });
  return rows;
}

/** The page's mosaic of RGB composites, transparent between tiles. */
function rgbMosaic(tiles: Tile[], g: GridGeometry): number[][][] {
  const rows = Array.from({ length: g.rows }, () => Array.from({ length: g.cols }, () => [0, 0, 0, 0]));
  tiles.forEach((tile, i) => {
    const { row, col } = g.origin(i);
    (tile.cells(g.dy, g.dx) as number[][][]).forEach((cells, y) => {
      for (let r = 0; r < g.repY; r++) {
        cells.forEach((rgb, x) => {
          for (let c = 0; c < g.repX; c++) rows[row + y * g.repY + r][col + x * g.repX + c] = [...rgb, 1];
        });
      }
    });
  });
  return rows;
}

/**
 * The tiles' titles as text over the mosaic's title bands. HTML, not a Plotly text trace: Plotly
 * styles and measures each text point one by one, which cost more than the mosaic's 64 tiles.
 */
function tileTitles(tiles: Tile[], g: GridGeometry): HTMLElement {
  const layer = el("div", "convlens-tile-titles");
  // the axes span cells -0.5 .. n-0.5 over the whole figure (no margins), rows top to bottom
  const cellWidth = g.width / g.cols;
  const cellHeight = g.height / g.rows;
  tiles.forEach((tile, i) => {
    const { x, y } = g.title(i);
    const label = el("span", "convlens-tile-title", tile.title);
    label.style.left = `${(x + 0.5) * cellWidth}px`;
    label.style.top = `${(y + 0.5) * cellHeight}px`;
    layer.append(label);
  });
  return layer;
}

/** Draws the tiles in rows of `columns` into `host`; resolves once Plotly has painted them. */
export async function renderGrid(host: HTMLElement, spec: GridSpec): Promise<RenderedGrid> {
  const { tiles, columns, tileSize } = spec;
  const g = gridGeometry(tiles.length, columns, tileSize, tiles[0]?.height ?? 1, tiles[0]?.width ?? 1);
  const rgb = tiles.some((t) => t.rgb);
  const shared = tiles.every((t) => t.zmin === tiles[0].zmin && t.zmax === tiles[0].zmax);
  const place = { x0: 0, dx: 1, y0: 0, dy: 1, hoverinfo: "none" };
  const z = timed("mosaic", () => (rgb ? rgbMosaic(tiles, g) : valueMosaic(tiles, g, !shared)));
  const mosaic: Plotly.Datum = rgb
    ? { type: "image", z, colormodel: "rgba", zmin: [0, 0, 0, 0], zmax: [255, 255, 255, 1], ...place }
    : {
        type: "heatmap",
        z,
        ...(shared ? { zmin: tiles[0]?.zmin ?? 0, zmax: tiles[0]?.zmax ?? 1 } : { zmin: 0, zmax: 1 }),
        ...plotlyColours(spec.colourScale),
        showscale: false,
        hoverongaps: true, // a NaN inside a tile still has a reading; the mosaic's own gaps are sorted out in cellAt
        ...place,
      };
  const axis = { showgrid: false, zeroline: false, showticklabels: false, ticks: "", fixedrange: true, showline: false };
  const layout: Plotly.Datum = {
    width: g.width,
    height: g.height,
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    hovermode: "closest",
    dragmode: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: { ...axis, range: [-0.5, g.cols - 0.5] },
    yaxis: { ...axis, range: [g.rows - 0.5, -0.5] },
  };
  const plotStart = performance.now();
  const element: RenderedGrid["element"] = await Plotly.newPlot(host, [mosaic], layout, { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false });
  measureSince("plotly", plotStart);
  element.convlensGrid = { geometry: g, scaled: shared || rgb ? null : tiles.map((t) => [t.zmin, t.zmax]) };
  host.style.position = "relative";
  const titles = tileTitles(tiles, g);
  host.append(titles);
  const tooltip = el("div", "convlens-tooltip");
  tooltip.hidden = true;
  host.append(tooltip);
  let mouse = { x: 0, y: 0 };
  // Beside the mouse, on whichever side keeps the whole text inside the widget (and the window): an
  // output area would grow a scrollbar for a tooltip reaching past its edge.
  const placeTooltip = () => {
    const box = host.getBoundingClientRect();
    const view = (host.closest(".convlens-view") ?? document.documentElement).getBoundingClientRect();
    const [right, bottom] = [Math.min(window.innerWidth, view.right), Math.min(window.innerHeight, view.bottom)];
    // a view narrower than the text: the tooltip wraps to the view's width instead of reaching past it
    tooltip.style.maxWidth = `${Math.max(0, right - Math.max(0, view.left))}px`;
    const [w, h] = [tooltip.offsetWidth, tooltip.offsetHeight];
    // (a widget scrolled partly out of the window has a negative left/top: the window's edge counts)
    const x = mouse.x + 14 + w <= right ? mouse.x + 14 : Math.max(0, view.left, mouse.x - 14 - w);
    const y = mouse.y + 14 + h <= bottom ? mouse.y + 14 : Math.max(0, view.top, mouse.y - 14 - h);
    tooltip.style.left = `${x - box.left}px`;
    tooltip.style.top = `${y - box.top}px`;
  };
  const cellAt = (event: Plotly.PlotMouseEvent) => {
    const point = event.points[0];
    return point && point.curveNumber === 0 ? g.at(Math.round(point.y), Math.round(point.x)) : null;
  };
  element.on("plotly_hover", (event) => {
    const cell = cellAt(event);
    if (!cell) {
      // between tiles or in a title band: Plotly still reports the mosaic's empty cells
      tooltip.hidden = true;
      spec.onUnhover?.();
      return;
    }
    if (event.event) mouse = { x: event.event.clientX, y: event.event.clientY };
    spec.onHover?.(cell.tile, cell.row, cell.col);
  });
  element.on("plotly_unhover", () => {
    tooltip.hidden = true;
    spec.onUnhover?.();
  });
  element.on("plotly_click", (event) => {
    const cell = cellAt(event);
    if (cell) spec.onClick?.(cell.tile);
  });
  return {
    element,
    tip: (text) => {
      tooltip.hidden = text === null;
      tooltip.textContent = text ?? "";
      if (text !== null) placeTooltip();
    },
    // purge also drops the figure's event emitter, and our listeners with it; unlike
    // removeAllListeners (gone from a purged figure) it is safe to call again.
    dispose: () => {
      Plotly.purge(host);
      tooltip.remove();
      titles.remove();
    },
  };
}

/** One big heatmap with a colour bar (a channel enlarged on click); plain-array rows, as in valueMosaic. */
/** What the enlarged tile reports of the mouse: the source (row, col) under it. */
export interface LargeHover {
  onHover(row: number, col: number): void;
  onUnhover(): void;
}

export async function renderLarge(host: HTMLElement, tile: Tile, colourScale: ColourScale, size: number, valueFormat: string, hover?: LargeHover): Promise<() => void> {
  const trace: Plotly.Datum = tile.rgb
    ? { type: "image", z: tile.cells(1, 1), zmin: [0, 0, 0], zmax: [255, 255, 255] }
    : { type: "heatmap", z: (tile.cells(1, 1) as ArrayLike<number>[]).map((row) => Array.from(row)), zmin: tile.zmin, zmax: tile.zmax, ...plotlyColours(colourScale), showscale: true, hovertemplate: `${tile.hoverName}<br>row %{y}, col %{x}<br>value %{z:${valueFormat}}<extra></extra>` };
  const axis = { showgrid: false, zeroline: false, fixedrange: true };
  await Plotly.newPlot(
    host,
    [trace],
    { width: size + 90, height: size + 30, margin: { l: 30, r: 10, t: 10, b: 20 }, xaxis: { ...axis, constrain: "domain" }, yaxis: { ...axis, autorange: "reversed", scaleanchor: "x" } },
    { displayModeBar: false },
  );
  if (hover) {
    const element = host as Plotly.PlotlyHTMLElement;
    element.on("plotly_hover", (event) => {
      const point = event.points[0];
      if (point) hover.onHover(Math.round(Number(point.y)), Math.round(Number(point.x)));
    });
    element.on("plotly_unhover", () => hover.onUnhover());
  }
  // purge drops the figure's event emitter, and these listeners with it
  return () => Plotly.purge(host);
}
