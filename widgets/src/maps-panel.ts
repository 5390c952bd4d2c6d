// Feature-map grid: one heatmap per channel, a page at a time, with colour-scale, range and
// sort choices, an exact-value readout on hover and a channel enlarged on click. The controls
// (mapsControls) are apart from the grid and its side column (mapsView), so that linked grids of
// several images (linked.ts) share one set of controls.
import { COLOUR_SCALE_LABELS } from "./colours";
import { button, el, select } from "./dom";
import { imageFrame } from "./image-frame";
import { renderGrid, type RenderedGrid, type Tile } from "./heatmap-grid";
import { panelSide } from "./panel-side";
import { oneDrawAtATime, type PanelContext, type PanelHandle } from "./panel";
import { formatFloat32, planeRange, planeRows } from "./state";
import type { ColourScale, MapsPanel, PanelChoices, Planes, ScaleMode, SortOrder } from "./state";

export type MapsChoices = NonNullable<PanelChoices["maps"]>;

/** Channel order for a page: by index, or by mean activation, highest first. */
export function channelOrder(panel: MapsPanel, sort: SortOrder): number[] {
  const order = Array.from({ length: panel.planes.count }, (_, c) => c);
  if (sort === "mean") order.sort((a, b) => panel.means[b] - panel.means[a] || a - b);
  return order;
}

/** The colour range of a channel: its own, or one shared by the whole layer ("images" is a lone grid's own). */
export function colourRange(panel: MapsPanel, channel: number, mode: ScaleMode): [number, number] {
  if (mode !== "shared") return planeRange(panel.planes, channel);
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < panel.planes.count; c++) {
    const [lo, hi] = planeRange(panel.planes, c);
    if (lo < min) min = lo;
    if (hi > max) max = hi;
  }
  return [min, max];
}

/** What the viewer chose for a grid (or for linked grids): the saved choices, else the panel's own settings. */
export interface MapsUi {
  page: number;
  colour: ColourScale;
  scale: ScaleMode;
  sort: SortOrder;
  overlay: boolean;
  opacity: number;
}

export function pageCount(panel: MapsPanel): number {
  return Math.max(1, Math.ceil(panel.planes.count / panel.page_size));
}

export function clampPage(panel: MapsPanel, page: number): number {
  return Math.min(Math.max(0, Math.trunc(page) || 0), pageCount(panel) - 1);
}

export function mapsUi(panel: MapsPanel, chosen: MapsChoices): MapsUi {
  return {
    // a page belongs to the layer it was chosen on: the explorer shows another layer from its first page
    page: chosen.page && chosen.page.layer === panel.layer.index ? clampPage(panel, chosen.page.page) : 0,
    colour: chosen.colour_scale ?? panel.colour_scale,
    scale: chosen.scale_mode ?? panel.scale_mode,
    sort: chosen.sort ?? panel.sort,
    overlay: chosen.overlay ?? false,
    opacity: chosen.opacity ?? 0.6,
  };
}

export function mapsHeader(panel: MapsPanel, more = ""): HTMLElement {
  const header = el("div", "convlens-panel-header");
  const p = panel.planes;
  header.append(
    el("span", "convlens-layer-name", `${panel.layer.index}: ${panel.layer.name}`),
    el("span", "convlens-shape", ` feature maps · ${p.count} channels · ${p.height}×${p.width}${more}`),
  );
  return header;
}

export const LONE_SCALES: [ScaleMode, string][] = [
  ["channel", "range per channel"],
  ["shared", "range shared by the layer"],
];

export interface MapsControlsSpec {
  /** the panel whose layer and counts the controls page through */
  panel: MapsPanel;
  /** the range choices offered */
  scales: [ScaleMode, string][];
  /** offer "overlay on image" and its opacity */
  overlay: boolean;
  signal: AbortSignal;
  /** a page was asked for (not clamped yet) */
  page(page: number): void;
  /** a control changed `ui` to `patch`: record it when `save` (not while a slider is dragged), and redraw */
  changed(patch: MapsChoices, save: boolean): void;
}

export interface MapsControls {
  element: HTMLElement;
  /** the page label and the arrows, once a page is drawn */
  showPage(channels: number[]): void;
}

/** Paging arrows, colour scale, range and sort; "overlay on image" where there is an image. */
export function mapsControls(ui: MapsUi, spec: MapsControlsSpec): MapsControls {
  const { panel, signal } = spec;
  const controls = el("div", "convlens-controls");
  const pageLabel = el("span", "convlens-page-label");
  const prev = button("◀", "previous page", () => spec.page(ui.page - 1), signal);
  const next = button("▶", "next page", () => spec.page(ui.page + 1), signal);
  const colourOptions: [ColourScale, string][] = [
    ["grey", COLOUR_SCALE_LABELS.grey],
    ["viridis", COLOUR_SCALE_LABELS.viridis],
  ];
  const sortOptions: [SortOrder, string][] = [
    ["index", "channel order"],
    ["mean", "sort by mean activation"],
  ];
  controls.append(
    prev,
    pageLabel,
    next,
    select<ColourScale>(
      "convlens-colour",
      colourOptions,
      ui.colour,
      (v) => {
        ui.colour = v;
        spec.changed({ colour_scale: v }, true);
      },
      signal,
    ),
    select<ScaleMode>(
      "convlens-scale",
      spec.scales,
      ui.scale,
      (v) => {
        ui.scale = v;
        spec.changed({ scale_mode: v }, true);
      },
      signal,
    ),
    select<SortOrder>(
      "convlens-sort",
      sortOptions,
      ui.sort,
      (v) => {
        ui.sort = v;
        ui.page = 0;
        spec.changed({ sort: v, page: { layer: panel.layer.index, page: 0 } }, true);
      },
      signal,
    ),
  );
  if (spec.overlay) {
    controls.append(
      ...overlayControls(ui, signal, (patch, save) => {
        Object.assign(ui, patch);
        spec.changed(patch, save);
      }),
    );
  }
  return {
    element: controls,
    showPage(channels) {
      const pages = pageCount(panel);
      const first = ui.page * panel.page_size;
      const last = first + channels.length - 1;
      const count = panel.planes.count;
      pageLabel.textContent = ` page ${ui.page + 1} of ${pages} (channels ${first}–${last} of ${count}) `;
      prev.disabled = ui.page === 0;
      next.disabled = ui.page >= pages - 1;
    },
  };
}

/** Whether a change of choices needs the grid redrawn (the rest only repaints the overlay). */
export function redraws(patch: MapsChoices): boolean {
  return "colour_scale" in patch || "scale_mode" in patch || "sort" in patch || "page" in patch;
}

export interface MapsViewSpec {
  /** the colour scale, overlay and opacity are read from here at each paint */
  ui: MapsUi;
  /** a channel's colour range under the current choices */
  range(channel: number): [number, number];
  /** pixels per tile side (default: 88 for maps 24 wide or more, else 64) and of the enlarged channel */
  tileSize?: number;
  enlargedSize?: number;
  /** the mouse is on unit (row, col) of `channel` here (grid or enlarged channel), or left; a tile was clicked */
  pointed?(channel: number, row: number, col: number): void;
  left?(): void;
  clicked?(channel: number): void;
}

/** One panel's grid and the column beside it (input image, readout, enlarged channel). */
export interface MapsView {
  element: HTMLElement;
  /** the grid's host: Plotly's figure, carrying convlensGrid once drawn */
  gridHost: HTMLElement;
  /** draws `channels` as the page's tiles, in this order */
  draw(channels: number[]): Promise<void>;
  /** the readout, receptive-field box and overlay for unit (row, col) of `channel`, as if hovered here */
  point(channel: number, row: number, col: number): void;
  leave(): void;
  enlarge(channel: number): Promise<void>;
  paintOverlay(): void;
  /** the channels of the page drawn */
  channels(): number[];
  grid(): RenderedGrid | null;
  dispose(): void;
}

/** Channel `channel` as a grid tile, over colour range `range` (a flat channel gets a sliver of range). */
function mapTile(planes: Planes, channel: number, [zmin, zmax]: [number, number]): Tile {
  return {
    title: String(channel),
    height: planes.height,
    width: planes.width,
    cells: (dy, dx) => planeRows(planes, channel, dy, dx),
    zmin,
    zmax: zmax > zmin ? zmax : zmin + 1e-6,
    hoverName: `channel ${channel}`,
  };
}

/** Unit (row, col) of `channel` as the front end holds it: exact when sent as float32, else from its uint8 code. */
function unitValue(planes: Planes, channel: number, row: number, col: number): { value: number; exact: boolean } {
  if (planes.exact) return { value: planes.exact[(channel * planes.height + row) * planes.width + col], exact: true };
  const code = planes.codes[channel * planes.height * planes.width + row * planes.width + col];
  return { value: planes.offset[channel] + planes.scale[channel] * code, exact: false };
}

/** Channel `channel` as the plane laid over the input image, over colour range [zmin, zmax]. */
function overlayPlane(planes: Planes, channel: number, [zmin, zmax]: [number, number]) {
  const rows = planeRows(planes, channel);
  return { height: planes.height, width: planes.width, value: (y: number, x: number) => rows[y][x], zmin, zmax };
}

/** Writes a unit's value into the readout (text, and data-value / data-exact for tests); the text. */
function writeReadout(readout: HTMLElement, where: string, value: number, exact: boolean): string {
  readout.textContent = `${where}: ${exact ? "" : "≈ "}${formatFloat32(value)}`;
  readout.dataset.value = String(value);
  readout.dataset.exact = String(exact);
  return readout.textContent;
}

/** The input image (with its receptive-field box and overlay), if the panel has one, above the side column. */
function mapsSide(panel: MapsPanel): {
  frame: ReturnType<typeof imageFrame> | null;
  side: ReturnType<typeof panelSide>;
} {
  const above: Node[] = [];
  const frame = panel.image && panel.image.length > 0 ? imageFrame(panel.image, panel.receptive_field) : null;
  if (frame) {
    const title = panel.receptive_field ? "input image (hover a unit: its receptive field)" : "input image";
    above.push(el("div", "convlens-side-title", title), frame.element);
  }
  return { frame, side: panelSide("hover a heatmap for its value; click to enlarge", above) };
}

export function mapsView(panel: MapsPanel, ctx: PanelContext, spec: MapsViewSpec): MapsView {
  const { ui } = spec;
  const planes = panel.planes;
  const tileSize = spec.tileSize ?? (planes.width >= 24 ? 88 : 64);
  const valueFormat = planes.exact ? "" : ".4g";
  const body = el("div", "convlens-body");
  const gridHost = el("div", "convlens-grid");
  const { frame, side } = mapsSide(panel);
  const readout = side.readout;
  body.append(gridHost, side.element);

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
    frame.overlay(overlayPlane(planes, channel, spec.range(channel)), ui.colour, ui.opacity);
  }

  /** The receptive-field box and the overlay for unit (row, col) of `channel`. */
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

  const tileOf = (channel: number): Tile => mapTile(planes, channel, spec.range(channel));

  /** The value of unit (row, col) of `channel` in the readout (and the grid's tooltip when the mouse is here). */
  async function readValue(channel: number, row: number, col: number, tooltip: boolean): Promise<void> {
    const token = ++hoverToken;
    const where = `channel ${channel}, row ${row}, col ${col}`;
    const held = unitValue(planes, channel, row, col);
    readout.dataset.channel = String(channel);
    readout.dataset.row = String(row);
    readout.dataset.col = String(col);
    show(where, held.value, held.exact, tooltip);
    if (held.exact) return;
    const exact = await ctx.exactValue(channel, row, col);
    if (exact !== null && token === hoverToken && !disposed) show(where, exact, true, tooltip);
  }

  function show(where: string, value: number, exact: boolean, tooltip: boolean): void {
    const text = writeReadout(readout, where, value, exact);
    if (tooltip) grid?.tip(text);
  }

  function onHover(tile: number, row: number, col: number): void {
    const channel = pageChannels[tile];
    if (channel === undefined) return;
    pointAt(channel, row, col);
    void readValue(channel, row, col, true);
    spec.pointed?.(channel, row, col);
  }

  async function enlarge(channel: number): Promise<void> {
    enlarged = channel;
    paintOverlay();
    await side.enlarge(`channel ${channel}`, tileOf(channel), ui.colour, spec.enlargedSize ?? 300, valueFormat, {
      onHover: (row, col) => {
        pointAt(channel, row, col);
        spec.pointed?.(channel, row, col);
      },
      onUnhover: () => {
        leave();
        spec.left?.();
      },
    });
  }

  async function draw(channels: number[]): Promise<void> {
    pageChannels = channels;
    grid?.dispose();
    grid = null;
    gridHost.dataset.heatmaps = "0";
    gridHost.dataset.channels = pageChannels.join(",");
    const drawn = await renderGrid(gridHost, {
      tiles: pageChannels.map(tileOf),
      columns: panel.columns,
      tileSize,
      colourScale: ui.colour,
      onHover,
      onUnhover: () => {
        leave();
        spec.left?.();
      },
      onClick: (t) => {
        const channel = pageChannels[t];
        if (channel === undefined) return;
        if (spec.clicked) spec.clicked(channel);
        else void enlarge(channel);
      },
    });
    if (disposed) {
      drawn.dispose(); // the panel went while Plotly painted: nothing else would purge it
    } else {
      grid = drawn;
      gridHost.dataset.heatmaps = String(pageChannels.length);
    }
    paintOverlay();
  }

  return {
    element: body,
    gridHost,
    draw,
    point(channel, row, col) {
      pointAt(channel, row, col);
      void readValue(channel, row, col, false);
    },
    leave,
    enlarge,
    paintOverlay,
    channels: () => pageChannels,
    grid: () => grid,
    dispose() {
      disposed = true;
      grid?.dispose();
      side.dispose();
      frame?.dispose();
    },
  };
}

export function renderMapsPanel(panel: MapsPanel, ctx: PanelContext): PanelHandle {
  const ui = mapsUi(panel, ctx.choices.maps ?? {});
  const hasImage = panel.image !== null && panel.image.length > 0;
  const view = mapsView(panel, ctx, { ui, range: (channel) => colourRange(panel, channel, ui.scale) });
  const controls = mapsControls(ui, {
    panel,
    scales: LONE_SCALES,
    overlay: hasImage,
    signal: ctx.signal,
    page: (page) => void showPage(page),
    changed: (patch, save) => {
      if (save) ctx.choose({ maps: patch });
      if (redraws(patch)) void draw();
      else view.paintOverlay();
    },
  });
  const root = el("div", "convlens-panel convlens-maps");
  root.append(mapsHeader(panel), controls.element, view.element);
  let disposed = false;

  const draw = oneDrawAtATime(
    async () => {
      const channels = channelOrder(panel, ui.sort).slice(ui.page * panel.page_size, (ui.page + 1) * panel.page_size);
      controls.showPage(channels);
      await view.draw(channels);
    },
    () => !disposed,
  );

  async function showPage(page: number): Promise<void> {
    ui.page = clampPage(panel, page);
    ctx.choose({ maps: { page: { layer: panel.layer.index, page: ui.page } } });
    await draw();
  }

  return {
    element: root,
    ready: draw(),
    dispose: () => {
      disposed = true;
      view.dispose();
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
