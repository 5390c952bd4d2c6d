// A page of small heatmaps drawn as ONE Plotly figure with one subplot per tile: a single
// newPlot call lays out and paints 64 heatmaps far faster than 64 separate figures.
import * as Plotly from "plotly.js-dist-min";
import { plotlyColours } from "./colours";
import { decimate, strideFor } from "./downsample";
import type { ColourScale } from "./state";

export interface Tile {
  /** shown above the tile (numbers only; model strings never go into Plotly) */
  title: string;
  /** rows of values (a heatmap) or rows of [r, g, b] 0..255 (an RGB composite) */
  z: ArrayLike<number>[] | number[][][];
  rgb?: boolean;
  zmin: number;
  zmax: number;
  /** hover label lines after the position, e.g. "channel 12" */
  hoverName: string;
}

export interface GridSpec {
  tiles: Tile[];
  columns: number;
  /** pixels per tile side */
  tileSize: number;
  colourScale: ColourScale;
  /** the hover label's value format (d3-format), e.g. ".4g" for approximations */
  valueFormat: string;
  onHover?: (tile: number, row: number, col: number, value: number | undefined) => void;
  onUnhover?: () => void;
  onClick?: (tile: number) => void;
}

const TITLE_PX = 16;
const GAP_PX = 6;

export interface RenderedGrid {
  element: Plotly.PlotlyHTMLElement;
  dispose(): void;
}

/** Draws the tiles in rows of `columns` into `host`; resolves once Plotly has painted them. */
export async function renderGrid(host: HTMLElement, spec: GridSpec): Promise<RenderedGrid> {
  const { tiles, columns, tileSize } = spec;
  const rows = Math.max(1, Math.ceil(tiles.length / columns));
  const width = columns * (tileSize + GAP_PX);
  const height = rows * (tileSize + TITLE_PX + GAP_PX);
  const colours = plotlyColours(spec.colourScale);
  const data: Plotly.Datum[] = [];
  const layout: Plotly.Datum = {
    width,
    height,
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    hovermode: "closest",
    dragmode: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    annotations: [] as Plotly.Datum[],
  };
  tiles.forEach((tile, i) => {
    const axis = i === 0 ? "" : String(i + 1);
    const col = i % columns;
    const row = Math.floor(i / columns);
    const x0 = (col * (tileSize + GAP_PX)) / width;
    const x1 = (col * (tileSize + GAP_PX) + tileSize) / width;
    // y domains run bottom-up; tiles fill top-down with their title above them.
    const top = row * (tileSize + TITLE_PX + GAP_PX) + TITLE_PX;
    const y1 = 1 - top / height;
    const y0 = 1 - (top + tileSize) / height;
    const hover = `${tile.hoverName}<br>row %{y}, col %{x}<br>${tile.rgb ? "rgb %{z}" : (spec.valueFormat ? `value ≈ %{z:${spec.valueFormat}}` : "value %{z}")}<extra></extra>`;
    // Shown thinned to about one cell per screen pixel, placed at the source rows/columns
    // (y0/dy, x0/dx), so hover reports an original (row, col) whose value is the one drawn there.
    const dy = strideFor(tile.z.length, tileSize);
    const dx = strideFor(tile.z[0]?.length ?? 0, tileSize);
    const z = decimate(tile.z as ArrayLike<unknown>[], dy, dx);
    const trace: Plotly.Datum = tile.rgb
      ? { type: "image", z, x0: 0, dx, y0: 0, dy, zmin: [0, 0, 0], zmax: [255, 255, 255], hovertemplate: hover }
      : { type: "heatmap", z, x0: 0, dx, y0: 0, dy, zmin: tile.zmin, zmax: tile.zmax, ...colours, showscale: false, hovertemplate: hover };
    data.push({ ...trace, xaxis: `x${axis}`, yaxis: `y${axis}` });
    const hidden = { showgrid: false, zeroline: false, showticklabels: false, ticks: "", fixedrange: true, showline: false };
    layout[`xaxis${axis}`] = { ...hidden, domain: [x0, x1], anchor: `y${axis}` };
    layout[`yaxis${axis}`] = { ...hidden, domain: [y0, y1], anchor: `x${axis}`, autorange: "reversed" };
    (layout.annotations as Plotly.Datum[]).push({
      text: tile.title,
      showarrow: false,
      xref: "paper",
      yref: "paper",
      x: (x0 + x1) / 2,
      y: y1,
      xanchor: "center",
      yanchor: "bottom",
      font: { size: 11 },
    });
  });
  const element = await Plotly.newPlot(host, data, layout, { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false });
  element.on("plotly_hover", (event) => {
    const point = event.points[0];
    if (point) spec.onHover?.(point.curveNumber, point.y, point.x, typeof point.z === "number" ? point.z : undefined);
  });
  element.on("plotly_unhover", () => spec.onUnhover?.());
  element.on("plotly_click", (event) => {
    const point = event.points[0];
    if (point) spec.onClick?.(point.curveNumber);
  });
  return {
    element,
    // purge also drops the figure's event emitter, and our listeners with it; unlike
    // removeAllListeners (gone from a purged figure) it is safe to call again.
    dispose: () => Plotly.purge(host),
  };
}

/** One big heatmap with a colour bar (a channel enlarged on click). */
export async function renderLarge(host: HTMLElement, tile: Tile, colourScale: ColourScale, size: number, valueFormat: string): Promise<() => void> {
  const trace: Plotly.Datum = tile.rgb
    ? { type: "image", z: tile.z, zmin: [0, 0, 0], zmax: [255, 255, 255] }
    : { type: "heatmap", z: tile.z, zmin: tile.zmin, zmax: tile.zmax, ...plotlyColours(colourScale), showscale: true, hovertemplate: `${tile.hoverName}<br>row %{y}, col %{x}<br>value %{z:${valueFormat}}<extra></extra>` };
  const axis = { showgrid: false, zeroline: false, fixedrange: true };
  await Plotly.newPlot(
    host,
    [trace],
    { width: size + 90, height: size + 30, margin: { l: 30, r: 10, t: 10, b: 20 }, xaxis: { ...axis, constrain: "domain" }, yaxis: { ...axis, autorange: "reversed", scaleanchor: "x" } },
    { displayModeBar: false },
  );
  return () => Plotly.purge(host);
}
