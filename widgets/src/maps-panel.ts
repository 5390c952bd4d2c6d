// Feature-map grid: one heatmap per channel, a page at a time, with colour-scale, range and
// sort choices, an exact-value readout on hover and a channel enlarged on click.
import { COLOUR_SCALE_LABELS } from "./colours";
import { button, el, select } from "./dom";
import { imageFrame } from "./image-frame";
import { renderGrid, type RenderedGrid, type Tile } from "./heatmap-grid";
import { panelSide } from "./panel-side";
import { oneDrawAtATime, type PanelContext, type PanelHandle } from "./panel";
import { formatFloat32, planeRange, planeRows, type ColourScale, type MapsPanel, type ScaleMode, type SortOrder } from "./state";

/** Channel order for a page: by index, or by mean activation, highest first. */
export function channelOrder(panel: MapsPanel, sort: SortOrder): number[] {
  const order = Array.from({ length: panel.planes.count }, (_, c) => c);
  if (sort === "mean") order.sort((a, b) => panel.means[b] - panel.means[a] || a - b);
  return order;
}

/** The colour range of a channel: its own, or one shared by the whole layer. */
export function colourRange(panel: MapsPanel, channel: number, mode: ScaleMode): [number, number] {
  if (mode === "channel") return planeRange(panel.planes, channel);
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < panel.planes.count; c++) {
    const [lo, hi] = planeRange(panel.planes, c);
    if (lo < min) min = lo;
    if (hi > max) max = hi;
  }
  return [min, max];
}

export function renderMapsPanel(panel: MapsPanel, ctx: PanelContext): PanelHandle {
  const { signal } = ctx;
  const planes = panel.planes;
  const chosen = ctx.choices.maps ?? {};
  const pages = Math.max(1, Math.ceil(planes.count / panel.page_size));
  const clampPage = (page: number) => Math.min(Math.max(0, Math.trunc(page) || 0), pages - 1);
  const pageChosen = chosen.page && chosen.page.layer === panel.layer.index ? clampPage(chosen.page.page) : 0;
  const ui = {
    page: pageChosen,
    colour: chosen.colour_scale ?? panel.colour_scale,
    scale: chosen.scale_mode ?? panel.scale_mode,
    sort: chosen.sort ?? panel.sort,
    overlay: chosen.overlay ?? false,
    opacity: chosen.opacity ?? 0.6,
  };
  const tileSize = planes.width >= 24 ? 88 : 64;
  const valueFormat = planes.exact ? "" : ".4g";

  const root = el("div", "convlens-panel convlens-maps");
  const header = el("div", "convlens-panel-header");
  header.append(
    el("span", "convlens-layer-name", `${panel.layer.index}: ${panel.layer.name}`),
    el("span", "convlens-shape", ` feature maps · ${planes.count} channels · ${planes.height}×${planes.width}`),
  );
  const pageLabel = el("span", "convlens-page-label");
  const controls = el("div", "convlens-controls");
  const prev = button("◀", "previous page", () => void showPage(ui.page - 1), signal);
  const next = button("▶", "next page", () => void showPage(ui.page + 1), signal);
  controls.append(
    prev,
    pageLabel,
    next,
    select<ColourScale>("convlens-colour", [["grey", COLOUR_SCALE_LABELS.grey], ["viridis", COLOUR_SCALE_LABELS.viridis]], ui.colour, (v) => {
      ui.colour = v;
      ctx.choose({ maps: { colour_scale: v } });
      void draw();
    }, signal),
    select<ScaleMode>("convlens-scale", [["channel", "range per channel"], ["shared", "range shared by the layer"]], ui.scale, (v) => {
      ui.scale = v;
      ctx.choose({ maps: { scale_mode: v } });
      void draw();
    }, signal),
    select<SortOrder>("convlens-sort", [["index", "channel order"], ["mean", "sort by mean activation"]], ui.sort, (v) => {
      ui.sort = v;
      ui.page = 0;
      ctx.choose({ maps: { sort: v, page: { layer: panel.layer.index, page: 0 } } });
      void draw();
    }, signal),
  );
  const body = el("div", "convlens-body");
  const gridHost = el("div", "convlens-grid");
  const above: Node[] = [];
  const frame = panel.image && panel.image.length > 0 ? imageFrame(panel.image, panel.receptive_field) : null;
  if (frame) {
    controls.append(...overlayControls(ui, signal, (patch, save) => {
      Object.assign(ui, patch);
      paintOverlay();
      if (save) ctx.choose({ maps: patch });
    }));
    above.push(el("div", "convlens-side-title", panel.receptive_field ? "input image (hover a unit: its receptive field)" : "input image"), frame.element);
  }
  const side = panelSide("hover a heatmap for its value; click to enlarge", above);
  const readout = side.readout;
  body.append(gridHost, side.element);
  root.append(header, controls, body);

  let grid: RenderedGrid | null = null;
  let pageChannels: number[] = [];
  let hoverToken = 0;
  let disposed = false;
  /** the channel laid over the image: the one under the mouse, else the one enlarged, else the page's first */
  let hovered: number | null = null;
  let enlarged: number | null = null;

  function paintOverlay(): void {
    if (!frame) return;
    const channel = hovered ?? enlarged ?? pageChannels[0];
    if (!ui.overlay || channel === undefined) return frame.overlay(null, ui.colour, ui.opacity);
    const [zmin, zmax] = colourRange(panel, channel, ui.scale);
    const rows = planeRows(planes, channel);
    frame.overlay({ height: planes.height, width: planes.width, value: (y, x) => rows[y][x], zmin, zmax }, ui.colour, ui.opacity);
  }

  /** The readout, the receptive-field box and the overlay for unit (row, col) of `channel`. */
  function pointAt(channel: number, row: number, col: number): void {
    frame?.showField(row, col);
    if (hovered !== channel) {
      hovered = channel;
      paintOverlay();
    }
  }

  function leave(): void {
    ++hoverToken; // an exact value arriving later must not bring the tooltip back
    frame?.hideField();
    if (hovered !== null) {
      hovered = null;
      paintOverlay();
    }
  }

  const tileOf = (channel: number): Tile => {
    const [zmin, zmax] = colourRange(panel, channel, ui.scale);
    return { title: String(channel), height: planes.height, width: planes.width, cells: (dy, dx) => planeRows(planes, channel, dy, dx), zmin, zmax: zmax > zmin ? zmax : zmin + 1e-6, hoverName: `channel ${channel}` };
  };

  async function onHover(tile: number, row: number, col: number): Promise<void> {
    const channel = pageChannels[tile];
    if (channel === undefined) return;
    pointAt(channel, row, col);
    const token = ++hoverToken;
    const where = `channel ${channel}, row ${row}, col ${col}`;
    const local = planes.exact ? planes.exact[(channel * planes.height + row) * planes.width + col] : null;
    readout.dataset.channel = String(channel);
    readout.dataset.row = String(row);
    readout.dataset.col = String(col);
    if (local !== null) {
      show(where, local, true);
      return;
    }
    const size = planes.height * planes.width;
    const approx = planes.offset[channel] + planes.scale[channel] * planes.codes[channel * size + row * planes.width + col];
    show(where, approx, false);
    const exact = await ctx.exactValue(channel, row, col);
    if (exact !== null && token === hoverToken && !disposed) show(where, exact, true);
  }

  function show(where: string, value: number, exact: boolean): void {
    readout.textContent = `${where}: ${exact ? "" : "≈ "}${formatFloat32(value)}`;
    grid?.tip(readout.textContent);
    readout.dataset.value = String(value);
    readout.dataset.exact = String(exact);
  }

  async function enlarge(tile: number): Promise<void> {
    const channel = pageChannels[tile];
    if (channel === undefined) return;
    enlarged = channel;
    paintOverlay();
    await side.enlarge(`channel ${channel}`, tileOf(channel), ui.colour, 300, valueFormat, {
      onHover: (row, col) => pointAt(channel, row, col),
      onUnhover: leave,
    });
  }

  async function drawNow(): Promise<void> {
    const order = channelOrder(panel, ui.sort);
    pageChannels = order.slice(ui.page * panel.page_size, (ui.page + 1) * panel.page_size);
    const first = ui.page * panel.page_size;
    pageLabel.textContent = ` page ${ui.page + 1} of ${pages} (channels ${first}–${first + pageChannels.length - 1} of ${planes.count}) `;
    prev.disabled = ui.page === 0;
    next.disabled = ui.page >= pages - 1;
    grid?.dispose();
    gridHost.dataset.heatmaps = "0";
    gridHost.dataset.channels = pageChannels.join(",");
    grid = await renderGrid(gridHost, {
      tiles: pageChannels.map(tileOf),
      columns: panel.columns,
      tileSize,
      colourScale: ui.colour,
      onHover: (t, r, c) => void onHover(t, r, c),
      onUnhover: leave,
      onClick: (t) => void enlarge(t),
    });
    if (disposed) grid.dispose(); // the panel went while Plotly painted: nothing else would purge it
    else gridHost.dataset.heatmaps = String(pageChannels.length);
    paintOverlay();
  }

  const draw = oneDrawAtATime(drawNow, () => !disposed);

  async function showPage(page: number): Promise<void> {
    ui.page = clampPage(page);
    ctx.choose({ maps: { page: { layer: panel.layer.index, page: ui.page } } });
    await draw();
  }

  return {
    element: root,
    ready: draw(),
    dispose: () => {
      disposed = true;
      grid?.dispose();
      side.dispose();
      frame?.dispose();
    },
  };
}

/** "overlay on image" and its opacity: a viewer's choices, saved with the widget. */
function overlayControls(
  ui: { overlay: boolean; opacity: number },
  signal: AbortSignal,
  change: (patch: { overlay?: boolean; opacity?: number }, save: boolean) => void,
): HTMLElement[] {
  const toggle = el("input", "convlens-overlay-toggle");
  toggle.type = "checkbox";
  toggle.checked = ui.overlay;
  toggle.addEventListener("change", () => change({ overlay: toggle.checked }, true), { signal });
  const opacity = el("input", "convlens-opacity");
  opacity.type = "range";
  Object.assign(opacity, { min: "0", max: "1", step: "0.05", value: String(ui.opacity), title: "overlay opacity" });
  // repainted while dragging; saved (one message to the kernel) where it is let go
  opacity.addEventListener("input", () => change({ opacity: Number(opacity.value) }, false), { signal });
  opacity.addEventListener("change", () => change({ opacity: Number(opacity.value) }, true), { signal });
  const label = el("label", "convlens-overlay-label");
  label.append(toggle, " overlay on image ");
  return [label, opacity];
}
