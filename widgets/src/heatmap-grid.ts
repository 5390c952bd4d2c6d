// A page of small heatmaps drawn as ONE Plotly figure on ONE pair of axes: every tile is its own
// heatmap trace, shifted into place with x0/y0. Plotly's cost grows with subplots (axes, clip
// paths, drag layers per subplot), not with traces on one subplot, so 64 tiles cost about what a
// few subplots did. The hover label is ours (a small tooltip), since Plotly's would show the
// shared axes' coordinates rather than the tile's own row and column.
import * as Plotly from "plotly.js-dist-min";
import { plotlyColours } from "./colours";
import { el } from "./dom";
import { gridGeometry } from "./grid-geometry";
import type { ColourScale } from "./state";

export interface Tile {
  /** shown above the tile (numbers only; model strings never go into Plotly) */
  title: string;
  /** source rows and columns */
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
  /** all tiles of a grid have the same number of rows and columns */
  tiles: Tile[];
  columns: number;
  /** pixels per tile side */
  tileSize: number;
  colourScale: ColourScale;
  onHover?: (tile: number, row: number, col: number) => void;
  onUnhover?: () => void;
  onClick?: (tile: number) => void;
}

export interface RenderedGrid {
  element: Plotly.PlotlyHTMLElement;
  /** the tooltip's text for the tile under the mouse (null hides it) */
  tip(text: string | null): void;
  dispose(): void;
}

/** Draws the tiles in rows of `columns` into `host`; resolves once Plotly has painted them. */
export async function renderGrid(host: HTMLElement, spec: GridSpec): Promise<RenderedGrid> {
  const { tiles, columns, tileSize } = spec;
  const geometry = gridGeometry(tiles.length, columns, tileSize, tiles[0]?.height ?? 1, tiles[0]?.width ?? 1);
  const { dx, dy } = geometry;
  const colours = plotlyColours(spec.colourScale);
  const axis = { showgrid: false, zeroline: false, showticklabels: false, ticks: "", fixedrange: true, showline: false };
  const titles = { type: "scatter", mode: "text", x: [] as number[], y: [] as number[], text: [] as string[], textfont: { size: 11 }, hoverinfo: "skip", cliponaxis: false };
  const data: Plotly.Datum[] = tiles.map((tile, i) => {
    const { x, y } = geometry.origin(i);
    const title = geometry.title(i);
    titles.x.push(title.x);
    titles.y.push(title.y);
    titles.text.push(tile.title);
    // Shown thinned to about one cell per screen pixel, at the source rows/columns (dy, dx), so a
    // hovered cell's (row, col) is an original one and its value is the one drawn there.
    const z = tile.cells(dy, dx);
    const placed = { z, x0: x, dx, y0: y, dy, hoverinfo: "none" };
    return tile.rgb
      ? { type: "image", ...placed, zmin: [0, 0, 0], zmax: [255, 255, 255] }
      : { type: "heatmap", ...placed, zmin: tile.zmin, zmax: tile.zmax, ...colours, showscale: false };
  });
  // last, so that a trace's curveNumber is its tile number
  data.push(titles);
  const layout: Plotly.Datum = {
    width: geometry.width,
    height: geometry.height,
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    hovermode: "closest",
    dragmode: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: { ...axis, range: geometry.xRange },
    yaxis: { ...axis, range: geometry.yRange },
  };
  const element = await Plotly.newPlot(host, data, layout, { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false });
  host.style.position = "relative";
  const tooltip = el("div", "convlens-tooltip");
  tooltip.hidden = true;
  host.append(tooltip);
  element.on("plotly_hover", (event) => {
    const point = event.points[0];
    if (!point || point.curveNumber >= tiles.length) return;
    // a cell's centre is origin + k·stride: back to the tile's own source row and column
    const origin = geometry.origin(point.curveNumber);
    const row = Math.round((point.y - origin.y) / dy) * dy;
    const col = Math.round((point.x - origin.x) / dx) * dx;
    const box = host.getBoundingClientRect();
    if (event.event) {
      // beside the mouse, flipped to its left in the grid's right half so it stays on the page
      const left = event.event.clientX - box.left;
      tooltip.style.top = `${event.event.clientY - box.top + 14}px`;
      tooltip.style.left = left > box.width / 2 ? "" : `${left + 14}px`;
      tooltip.style.right = left > box.width / 2 ? `${box.width - left + 14}px` : "";
    }
    spec.onHover?.(point.curveNumber, row, col);
  });
  element.on("plotly_unhover", () => {
    tooltip.hidden = true;
    spec.onUnhover?.();
  });
  element.on("plotly_click", (event) => {
    const point = event.points[0];
    if (point && point.curveNumber < tiles.length) spec.onClick?.(point.curveNumber);
  });
  return {
    element,
    tip: (text) => {
      tooltip.hidden = text === null;
      tooltip.textContent = text ?? "";
    },
    // purge also drops the figure's event emitter, and our listeners with it; unlike
    // removeAllListeners (gone from a purged figure) it is safe to call again.
    dispose: () => {
      Plotly.purge(host);
      tooltip.remove();
    },
  };
}

/** One big heatmap with a colour bar (a channel enlarged on click). */
export async function renderLarge(host: HTMLElement, tile: Tile, colourScale: ColourScale, size: number, valueFormat: string): Promise<() => void> {
  const trace: Plotly.Datum = tile.rgb
    ? { type: "image", z: tile.cells(1, 1), zmin: [0, 0, 0], zmax: [255, 255, 255] }
    : { type: "heatmap", z: tile.cells(1, 1), zmin: tile.zmin, zmax: tile.zmax, ...plotlyColours(colourScale), showscale: true, hovertemplate: `${tile.hoverName}<br>row %{y}, col %{x}<br>value %{z:${valueFormat}}<extra></extra>` };
  const axis = { showgrid: false, zeroline: false, fixedrange: true };
  await Plotly.newPlot(
    host,
    [trace],
    { width: size + 90, height: size + 30, margin: { l: 30, r: 10, t: 10, b: 20 }, xaxis: { ...axis, constrain: "domain" }, yaxis: { ...axis, autorange: "reversed", scaleanchor: "x" } },
    { displayModeBar: false },
  );
  return () => Plotly.purge(host);
}
