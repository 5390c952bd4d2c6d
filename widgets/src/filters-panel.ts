// Filter grid: rows = filters, columns = input channels (the seed's 6 × 3 figure), or one RGB
// composite per filter for 3-channel first layers; pages of filters and channels come from the kernel.
import { COLOUR_SCALE_LABELS } from "./colours";
import { button, el, select } from "./dom";
import { decimate } from "./downsample";
import { renderGrid, type RenderedGrid, type Tile } from "./heatmap-grid";
import { panelSide } from "./panel-side";
import { oneDrawAtATime, type PanelContext, type PanelHandle } from "./panel";
import { formatFloat32, planeRows, type ColourScale, type FiltersPanel, type Planes } from "./state";

/** One colour range for the whole page, so weights compare across filters; symmetric for diverging. */
export function filterRange(planes: Planes, diverging: boolean): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let p = 0; p < planes.count; p++) {
    const lo = planes.offset[p];
    const hi = lo + 255 * planes.scale[p];
    if (lo < min) min = lo;
    if (hi > max) max = hi;
  }
  if (planes.exact) {
    min = Infinity;
    max = -Infinity;
    for (const v of planes.exact) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (!(max > min)) max = min + 1e-6;
  if (diverging) {
    const m = Math.max(Math.abs(min), Math.abs(max));
    return [-m, m];
  }
  return [min, max];
}

/** Filter f's three input channels as one RGB image, each over the page's shared range. */
export function rgbComposite(panel: FiltersPanel, filter: number, range: [number, number]): number[][][] {
  const { height, width } = panel.planes;
  const channels = [0, 1, 2].map((c) => planeRows(panel.planes, filter * panel.in_channels + c));
  const [lo, hi] = range;
  const byte = (v: number) => Math.round(((v - lo) / (hi - lo)) * 255);
  const image: number[][][] = [];
  for (let y = 0; y < height; y++) {
    const row: number[][] = [];
    for (let x = 0; x < width; x++) row.push(channels.map((rows) => byte(rows[y][x])));
    image.push(row);
  }
  return image;
}

/** The viewer's choices for a filter grid: saved ones first, then the kernel's defaults. */
interface FiltersUi {
  colour: ColourScale;
  rgb: boolean;
}

/** An RGB composite means the image's three colour channels: first layers only, not any page of three. */
function canRgb(panel: FiltersPanel): boolean {
  return panel.in_channels === 3 && panel.total_in_channels === 3;
}

function filtersUi(panel: FiltersPanel, ctx: PanelContext): FiltersUi {
  const chosen = ctx.choices.filters ?? {};
  return { colour: chosen.colour_scale ?? panel.colour_scale, rgb: (chosen.rgb ?? panel.rgb) && canRgb(panel) };
}

function filtersHeader(panel: FiltersPanel): HTMLElement {
  const { height, width } = panel.planes;
  const header = el("div", "convlens-panel-header");
  const counts = `${panel.total_filters} × ${panel.total_in_channels} input channels`;
  const shape = ` filters · ${counts} · ${height}×${width} · ${panel.normalisation}`;
  header.append(
    el("span", "convlens-layer-name", `${panel.layer.index}: ${panel.layer.name}`),
    el("span", "convlens-shape", shape),
  );
  return header;
}

/** ◀ label ▶ for the filters, then for the input channels: each page is asked of the kernel. */
function pageButtons(panel: FiltersPanel, ctx: PanelContext): HTMLElement[] {
  const { signal } = ctx;
  const [f0, c0] = [panel.filter_start, panel.channel_start];
  const ask = (filter: number, channel: number) => () => ctx.requestFilterPage(filter, channel);
  const filterPrev = button("◀", "previous filters", ask(f0 - 1, c0), signal);
  const filterNext = button("▶", "next filters", ask(f0 + panel.filters, c0), signal);
  const channelPrev = button("◀", "previous input channels", ask(f0, c0 - 1), signal);
  const channelNext = button("▶", "next input channels", ask(f0, c0 + panel.in_channels), signal);
  filterPrev.disabled = f0 === 0;
  filterNext.disabled = f0 + panel.filters >= panel.total_filters;
  channelPrev.disabled = c0 === 0;
  channelNext.disabled = c0 + panel.in_channels >= panel.total_in_channels;
  const range = (start: number, n: number, total: number) => ` ${start}–${start + n - 1} of ${total} `;
  const filterLabel = ` filters${range(f0, panel.filters, panel.total_filters)}`;
  const channelLabel = ` channels${range(c0, panel.in_channels, panel.total_in_channels)}`;
  return [
    filterPrev,
    el("span", "convlens-page-label convlens-filter-page", filterLabel),
    filterNext,
    channelPrev,
    el("span", "convlens-page-label convlens-channel-page", channelLabel),
    channelNext,
  ];
}

/** The "RGB composite" checkbox (disabled where the layer's inputs are not the image's colours). */
function rgbToggle(panel: FiltersPanel, ui: FiltersUi, signal: AbortSignal, changed: () => void): HTMLElement {
  const box = el("input", "convlens-rgb");
  box.type = "checkbox";
  box.checked = ui.rgb;
  box.disabled = !canRgb(panel);
  box.addEventListener(
    "change",
    () => {
      ui.rgb = box.checked;
      changed();
    },
    { signal },
  );
  const label = el("label", "convlens-rgb-label");
  label.append(box, document.createTextNode(" RGB composite"));
  return label;
}

/** Page buttons, colour scale and RGB toggle; a change of either choice is saved, then `redraw`n. */
function filtersControls(panel: FiltersPanel, ui: FiltersUi, ctx: PanelContext, redraw: () => void): HTMLElement {
  const controls = el("div", "convlens-controls");
  const scales = (["grey", "viridis", "diverging"] as ColourScale[]).map((c): [ColourScale, string] => [
    c,
    COLOUR_SCALE_LABELS[c],
  ]);
  const colour = select<ColourScale>(
    "convlens-colour",
    scales,
    ui.colour,
    (v) => {
      ui.colour = v;
      ctx.choose({ filters: { colour_scale: v } });
      redraw();
    },
    ctx.signal,
  );
  const rgb = rgbToggle(panel, ui, ctx.signal, () => {
    ctx.choose({ filters: { rgb: ui.rgb } });
    redraw();
  });
  controls.append(...pageButtons(panel, ctx), colour, rgb);
  return controls;
}

/** The page's tiles, and per tile its (filter, channel) relative to the page; channel -1 for an RGB composite. */
function filterTiles(panel: FiltersPanel, ui: FiltersUi): { tiles: Tile[]; places: [number, number][] } {
  const { planes } = panel;
  const { height, width } = planes;
  const range = filterRange(planes, ui.colour === "diverging");
  const tiles: Tile[] = [];
  const places: [number, number][] = [];
  for (let f = 0; f < panel.filters; f++) {
    const filter = panel.filter_start + f;
    if (ui.rgb) {
      const composite = rgbComposite(panel, f, range);
      const cells = (dy: number, dx: number) => decimate(composite, dy, dx) as number[][][];
      tiles.push({
        title: `filter ${filter}`,
        height,
        width,
        cells,
        rgb: true,
        zmin: 0,
        zmax: 255,
        hoverName: `filter ${filter} (RGB)`,
      });
      places.push([f, -1]);
      continue;
    }
    for (let c = 0; c < panel.in_channels; c++) {
      const channel = panel.channel_start + c;
      const plane = f * panel.in_channels + c;
      const cells = (dy: number, dx: number) => planeRows(planes, plane, dy, dx);
      const hoverName = `filter ${filter}, channel ${channel}`;
      tiles.push({ title: `f${filter} c${channel}`, height, width, cells, zmin: range[0], zmax: range[1], hoverName });
      places.push([f, c]);
    }
  }
  return { tiles, places };
}

/** The readout for weight (row, col) of page filter `f`, input channel `c` (-1: its R, G and B). */
function weightText(
  panel: FiltersPanel,
  [f, c]: [number, number],
  row: number,
  col: number,
): { text: string; value?: number } {
  const { planes } = panel;
  const where = `filter ${panel.filter_start + f}, row ${row}, col ${col}`;
  const weight = (channel: number) => {
    const plane = f * panel.in_channels + channel;
    const index = (plane * planes.height + row) * planes.width + col;
    return planes.exact ? planes.exact[index] : planes.offset[plane] + planes.scale[plane] * planes.codes[index];
  };
  const approx = planes.exact ? "" : "≈ ";
  if (c < 0) {
    // the composite's three colours are the weights on the image's R, G and B
    const [r, g, b] = [0, 1, 2].map((k) => `${approx}${formatFloat32(weight(k))}`);
    return { text: `${where}: R ${r}, G ${g}, B ${b}` };
  }
  const value = weight(c);
  return { text: `${where}, channel ${panel.channel_start + c}: ${approx}${formatFloat32(value)}`, value };
}

export function renderFiltersPanel(panel: FiltersPanel, ctx: PanelContext): PanelHandle {
  const ui = filtersUi(panel, ctx);
  const root = el("div", "convlens-panel convlens-filters");
  const controls = filtersControls(panel, ui, ctx, () => void draw());
  const body = el("div", "convlens-body");
  const gridHost = el("div", "convlens-grid");
  const side = panelSide("hover a weight for its value; click to enlarge");
  body.append(gridHost, side.element);
  root.append(filtersHeader(panel), controls, body);

  let grid: RenderedGrid | null = null;
  let page: { tiles: Tile[]; places: [number, number][] } = { tiles: [], places: [] };
  let disposed = false;

  function onHover(tile: number, row: number, col: number): void {
    const place = page.places[tile];
    if (!place) return;
    const { text, value } = weightText(panel, place, row, col);
    side.readout.textContent = text;
    if (value !== undefined) side.readout.dataset.value = String(value);
    grid?.tip(text);
  }

  async function enlarge(tile: number): Promise<void> {
    const t = page.tiles[tile];
    if (t) await side.enlarge(t.hoverName, t, ui.colour, 240, "");
  }

  async function drawNow(): Promise<void> {
    page = filterTiles(panel, ui);
    grid?.dispose();
    gridHost.dataset.heatmaps = "0";
    const columns = ui.rgb ? Math.min(8, panel.filters) : panel.in_channels;
    grid = await renderGrid(gridHost, {
      tiles: page.tiles,
      columns,
      tileSize: 56,
      colourScale: ui.colour,
      onHover,
      onClick: (t) => void enlarge(t),
    });
    if (disposed)
      grid.dispose(); // the panel went while Plotly painted: nothing else would purge it
    else gridHost.dataset.heatmaps = String(page.tiles.length);
  }

  const draw = oneDrawAtATime(drawNow, () => !disposed);

  return {
    element: root,
    ready: draw(),
    dispose: () => {
      disposed = true;
      grid?.dispose();
      side.dispose();
    },
  };
}
