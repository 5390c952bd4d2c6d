// Linked grids (the kernel's compare()): one layer's feature maps for two to four images, a grid
// per image, side by side or stacked. One set of controls pages, sorts and scales them all, so every
// grid shows the same channels in the same places; the unit under the mouse in one grid is marked in
// every other (its tile outlined, a crosshair on the unit), read out beside each, and its receptive
// field boxed on every image. A click enlarges the channel beside every image.
import { el } from "./dom";
import type { GridGeometry } from "./grid-geometry";
import { channelOrder, clampPage, mapsControls, mapsHeader, mapsUi, mapsView, redraws } from "./maps-panel";
import type { MapsView } from "./maps-panel";
import { oneDrawAtATime, type PanelContext, type PanelHandle } from "./panel";
import { planeRange, type MapsPanel, type Panel, type ScaleMode } from "./state";

export const LINKED_SCALES: [ScaleMode, string][] = [
  ["channel", "range per channel per image"],
  ["images", "range per channel, shared across images"],
  ["shared", "range shared by the layer and images"],
];

/** Grids side by side: smaller tiles, image and enlarged channel than a lone grid's, so two fit a notebook's width. */
const LINKED_TILE_PX = 56;
const LINKED_ENLARGED_PX = 90;

/**
 * The colour range of `channel` in grid `index`: its own ("channel"), the same channel's across all
 * the images ("images"), or the whole layer's across all the images ("shared").
 */
export function linkedRange(panels: MapsPanel[], index: number, channel: number, mode: ScaleMode): [number, number] {
  if (mode === "channel") return planeRange(panels[index].planes, channel);
  let min = Infinity;
  let max = -Infinity;
  for (const panel of panels) {
    const first = mode === "shared" ? 0 : channel;
    const last = mode === "shared" ? panel.planes.count - 1 : channel;
    for (let c = first; c <= last; c++) {
      const [lo, hi] = planeRange(panel.planes, c);
      if (lo < min) min = lo;
      if (hi > max) max = hi;
    }
  }
  return [min, max];
}

/** The panels as linked grids' panels: two or more maps panels of one size (else null: drawn one by one). */
export function linkable(panels: Panel[]): MapsPanel[] | null {
  const maps = panels.filter((p): p is MapsPanel => p.kind === "maps");
  const [first] = maps;
  const shape = (p: MapsPanel) => `${p.planes.count}×${p.planes.height}×${p.planes.width}`;
  const same = (p: MapsPanel) => shape(p) === shape(first);
  return maps.length > 1 && maps.length === panels.length && maps.every(same) ? maps : null;
}

/** The outline of one tile and a crosshair on one of its units, laid over a grid. */
interface GridMark {
  show(g: GridGeometry, tile: number, channel: number, row: number, col: number): void;
  hide(): void;
}

function gridMark(host: HTMLElement): GridMark {
  const outline = el("div", "convlens-link-tile");
  const across = el("div", "convlens-link-h");
  const down = el("div", "convlens-link-v");
  const unit = el("div", "convlens-link-unit");
  outline.append(across, down, unit);
  outline.hidden = true;
  return {
    show(g, tile, channel, row, col) {
      // cell x spans x - 0.5 … x + 0.5 on an axis from -0.5 over the figure's width (no margins)
      const [cw, ch] = [g.width / g.cols, g.height / g.rows];
      const origin = g.origin(tile);
      const centre = g.cellOf(tile, row, col);
      const [left, top] = [origin.col * cw, origin.row * ch];
      const [x, y] = [(centre.x + 0.5) * cw - left, (centre.y + 0.5) * ch - top];
      const [width, height] = [g.tileCols * cw, g.tileRows * ch];
      Object.assign(outline.style, { left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px` });
      across.style.top = `${y}px`;
      down.style.left = `${x}px`;
      Object.assign(unit.style, { left: `${x}px`, top: `${y}px` });
      Object.assign(outline.dataset, { tile: String(tile), channel: String(channel) });
      Object.assign(unit.dataset, { tile: String(tile), channel: String(channel), row: String(row), col: String(col) });
      // joins the host at first use; a redraw's purge and newPlot leave it there, and z-index keeps it over the figure
      if (outline.parentElement !== host) host.append(outline);
      outline.hidden = false;
    },
    hide() {
      outline.hidden = true;
    },
  };
}

/**
 * `panels` (maps of one layer and size, one per image) as linked grids; `contexts[i]` is panel i's.
 * The group's choices are the first panel's: one record, saved with the widget like any panel's.
 */
export function renderLinkedMaps(panels: MapsPanel[], contexts: PanelContext[], side: boolean): PanelHandle {
  const [first] = panels;
  const ctx = contexts[0];
  const ui = mapsUi(first, ctx.choices.maps ?? {});
  const views: MapsView[] = [];
  const marks: GridMark[] = [];
  const panes = el("div", `convlens-linked-panes${side ? " convlens-side-by-side" : ""}`);
  panels.forEach((panel, i) => {
    const view = mapsView(panel, contexts[i], {
      ui,
      range: (channel) => linkedRange(panels, i, channel, ui.scale),
      tileSize: LINKED_TILE_PX,
      enlargedSize: LINKED_ENLARGED_PX,
      pointed: (channel, row, col) => pointed(i, channel, row, col),
      left: () => left(i),
      clicked: (channel) => void Promise.all(views.map((v) => v.enlarge(channel))),
    });
    views.push(view);
    marks.push(gridMark(view.gridHost));
    const pane = el("div", "convlens-linked-pane");
    pane.dataset.image = String(i);
    pane.append(el("div", "convlens-linked-pane-title", `image ${i + 1}`), view.element);
    panes.append(pane);
  });

  /** The mouse on unit (row, col) of `channel` in grid `from`: the same unit everywhere else. */
  function pointed(from: number, channel: number, row: number, col: number): void {
    views.forEach((view, i) => {
      if (i === from) return;
      view.point(channel, row, col);
      const grid = view.grid()?.element.convlensGrid;
      const tile = view.channels().indexOf(channel);
      if (grid && tile >= 0) marks[i].show(grid.geometry, tile, channel, row, col);
      else marks[i].hide(); // an enlarged channel no longer on the page
    });
  }

  function left(from: number): void {
    views.forEach((view, i) => {
      if (i !== from) view.leave();
      marks[i].hide();
    });
  }

  const hasImage = panels.some((p) => p.image !== null && p.image.length > 0);
  const controls = mapsControls(ui, {
    panel: first,
    scales: LINKED_SCALES,
    overlay: hasImage,
    signal: ctx.signal,
    page: (page) => void showPage(page),
    changed: (patch, save) => {
      if (save) ctx.choose({ maps: patch });
      if (redraws(patch)) void draw();
      else for (const view of views) view.paintOverlay();
    },
  });
  const root = el("div", "convlens-panel convlens-maps convlens-linked");
  root.append(mapsHeader(first, ` · ${panels.length} images, linked`), controls.element, panes);
  let disposed = false;

  // Sorting by mean follows the first image: every grid shows the same channels in the same places.
  const draw = oneDrawAtATime(async () => {
    const channels = channelOrder(first, ui.sort).slice(ui.page * first.page_size, (ui.page + 1) * first.page_size);
    controls.showPage(channels);
    for (const mark of marks) mark.hide();
    await Promise.all(views.map((view) => view.draw(channels)));
  }, () => !disposed);

  async function showPage(page: number): Promise<void> {
    ui.page = clampPage(first, page);
    ctx.choose({ maps: { page: { layer: first.layer.index, page: ui.page } } });
    await draw();
  }

  return {
    element: root,
    ready: draw(),
    dispose: () => {
      disposed = true;
      for (const view of views) view.dispose();
    },
  };
}
