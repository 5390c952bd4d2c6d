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

export function renderFiltersPanel(panel: FiltersPanel, ctx: PanelContext): PanelHandle {
  const { signal } = ctx;
  const planes = panel.planes;
  // An RGB composite means the image's three colour channels: first layers only, not any page of three.
  const canRgb = panel.in_channels === 3 && panel.total_in_channels === 3;
  const chosen = ctx.choices.filters ?? {};
  const ui = { colour: chosen.colour_scale ?? panel.colour_scale, rgb: (chosen.rgb ?? panel.rgb) && canRgb };
  const last = (start: number, n: number) => start + n - 1;

  const root = el("div", "convlens-panel convlens-filters");
  const header = el("div", "convlens-panel-header");
  header.append(
    el("span", "convlens-layer-name", `${panel.layer.index}: ${panel.layer.name}`),
    el("span", "convlens-shape", ` filters · ${panel.total_filters} × ${panel.total_in_channels} input channels · ${planes.height}×${planes.width} · ${panel.normalisation}`),
  );
  const controls = el("div", "convlens-controls");
  const filterPrev = button("◀", "previous filters", () => ctx.requestFilterPage(panel.filter_start - 1, panel.channel_start), signal);
  const filterNext = button("▶", "next filters", () => ctx.requestFilterPage(panel.filter_start + panel.filters, panel.channel_start), signal);
  const channelPrev = button("◀", "previous input channels", () => ctx.requestFilterPage(panel.filter_start, panel.channel_start - 1), signal);
  const channelNext = button("▶", "next input channels", () => ctx.requestFilterPage(panel.filter_start, panel.channel_start + panel.in_channels), signal);
  filterPrev.disabled = panel.filter_start === 0;
  filterNext.disabled = panel.filter_start + panel.filters >= panel.total_filters;
  channelPrev.disabled = panel.channel_start === 0;
  channelNext.disabled = panel.channel_start + panel.in_channels >= panel.total_in_channels;
  const rgbBox = el("input", "convlens-rgb");
  rgbBox.type = "checkbox";
  rgbBox.checked = ui.rgb;
  rgbBox.disabled = !canRgb;
  rgbBox.addEventListener("change", () => {
    ui.rgb = rgbBox.checked;
    ctx.choose({ filters: { rgb: ui.rgb } });
    void draw();
  }, { signal });
  const rgbLabel = el("label", "convlens-rgb-label");
  rgbLabel.append(rgbBox, document.createTextNode(" RGB composite"));
  controls.append(
    filterPrev,
    el("span", "convlens-page-label convlens-filter-page", ` filters ${panel.filter_start}–${last(panel.filter_start, panel.filters)} of ${panel.total_filters} `),
    filterNext,
    channelPrev,
    el("span", "convlens-page-label convlens-channel-page", ` channels ${panel.channel_start}–${last(panel.channel_start, panel.in_channels)} of ${panel.total_in_channels} `),
    channelNext,
    select<ColourScale>("convlens-colour", (["grey", "viridis", "diverging"] as ColourScale[]).map((c) => [c, COLOUR_SCALE_LABELS[c]]), ui.colour, (v) => {
      ui.colour = v;
      ctx.choose({ filters: { colour_scale: v } });
      void draw();
    }, signal),
    rgbLabel,
  );
  const body = el("div", "convlens-body");
  const gridHost = el("div", "convlens-grid");
  const side = panelSide("hover a weight for its value; click to enlarge");
  const readout = side.readout;
  body.append(gridHost, side.element);
  root.append(header, controls, body);

  let grid: RenderedGrid | null = null;
  let tiles: Tile[] = [];
  /** per tile: (filter, channel) relative to the page; channel -1 for an RGB composite */
  let tilePlanes: [number, number][] = [];
  let disposed = false;

  function build(): void {
    const range = filterRange(planes, ui.colour === "diverging");
    tiles = [];
    tilePlanes = [];
    for (let f = 0; f < panel.filters; f++) {
      const filter = panel.filter_start + f;
      if (ui.rgb) {
        const composite = rgbComposite(panel, f, range);
        tiles.push({ title: `filter ${filter}`, height: planes.height, width: planes.width, cells: (dy, dx) => decimate(composite, dy, dx) as number[][][], rgb: true, zmin: 0, zmax: 255, hoverName: `filter ${filter} (RGB)` });
        tilePlanes.push([f, -1]);
        continue;
      }
      for (let c = 0; c < panel.in_channels; c++) {
        const channel = panel.channel_start + c;
        const plane = f * panel.in_channels + c;
        tiles.push({ title: `f${filter} c${channel}`, height: planes.height, width: planes.width, cells: (dy, dx) => planeRows(planes, plane, dy, dx), zmin: range[0], zmax: range[1], hoverName: `filter ${filter}, channel ${channel}` });
        tilePlanes.push([f, c]);
      }
    }
  }

  function onHover(tile: number, row: number, col: number): void {
    const [f, c] = tilePlanes[tile] ?? [-1, -1];
    if (f < 0) return;
    const where = `filter ${panel.filter_start + f}, row ${row}, col ${col}`;
    const weight = (channel: number) => {
      const plane = f * panel.in_channels + channel;
      const index = (plane * planes.height + row) * planes.width + col;
      return planes.exact ? planes.exact[index] : planes.offset[plane] + planes.scale[plane] * planes.codes[index];
    };
    const approx = planes.exact ? "" : "≈ ";
    if (c < 0) {
      // the composite's three colours are the weights on the image's R, G and B
      readout.textContent = `${where}: R ${approx}${formatFloat32(weight(0))}, G ${approx}${formatFloat32(weight(1))}, B ${approx}${formatFloat32(weight(2))}`;
      grid?.tip(readout.textContent);
      return;
    }
    const value = weight(c);
    readout.textContent = `${where}, channel ${panel.channel_start + c}: ${approx}${formatFloat32(value)}`;
    readout.dataset.value = String(value);
    grid?.tip(readout.textContent);
  }

  async function enlarge(tile: number): Promise<void> {
    const t = tiles[tile];
    if (t) await side.enlarge(t.hoverName, t, ui.colour, 240, "");
  }

  async function drawNow(): Promise<void> {
    build();
    grid?.dispose();
    gridHost.dataset.heatmaps = "0";
    grid = await renderGrid(gridHost, {
      tiles,
      columns: ui.rgb ? Math.min(8, panel.filters) : panel.in_channels,
      tileSize: 56,
      colourScale: ui.colour,
      onHover,
      onClick: (t) => void enlarge(t),
    });
    if (disposed) grid.dispose(); // the panel went while Plotly painted: nothing else would purge it
    else gridHost.dataset.heatmaps = String(tiles.length);
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
