// The maximized panel (showMaximized): a progress bar while maximizeActivation runs; then one
// synthesised image per channel, each a button. A click shows, beside them, that channel's feature
// map for the sample image (hover a unit: its receptive field on the image), or the image itself
// enlarged when there is no sample; under each image, the samples that excite its channel most.
import { el, pngUrl } from "./dom";
import type { Tile } from "./heatmap-grid";
import { imageFrame, type ImageFrame } from "./image-frame";
import type { MaximizedPanel } from "./maximized-state";
import { oneDrawAtATime, type PanelContext, type PanelHandle } from "./panel";
import { panelSide, type PanelSide } from "./panel-side";
import { formatFloat32, planeRange, planeRows, type Planes } from "./state";

/** Images are shown at least this wide (small ones enlarged by whole factors) and at most MAX_SIDE. */
const MIN_SIDE = 96;
const MAX_SIDE = 160;
/** The enlarged feature map or image, in pixels. */
const LARGE_SIDE = 224;

export function renderMaximizedPanel(panel: MaximizedPanel, ctx: PanelContext): PanelHandle {
  const root = el("div", "convlens-panel convlens-maximized");
  root.dataset.phase = panel.phase;
  root.append(header(panel));
  const pixels = panel.height * panel.width;
  const shown = pixels > 0 && panel.images.length >= panel.channels.length * pixels * 3;
  if (panel.phase !== "done" || !shown) {
    root.append(progressLine(panel));
    return { element: root, ready: Promise.resolve(), dispose: () => {} };
  }
  const urls: string[] = [];
  const frame = panel.image && panel.image.length > 0 ? imageFrame(panel.image, panel.receptive_field) : null;
  const above: Node[] = frame ? [el("div", "convlens-side-title", "sample image"), frame.element] : [];
  const hint = frame ? "click an image: its channel's feature map on the sample image" : "click an image to enlarge it";
  const side = panelSide(hint, above);
  const cards = panel.channels.map((_, i) => card(panel, i, urls, ctx.signal, () => void select(i, true)));
  const gallery = el("div", "convlens-max-gallery");
  gallery.style.gridTemplateColumns = `repeat(${Math.max(1, panel.columns)}, max-content)`;
  gallery.append(...cards);
  const body = el("div", "convlens-body");
  body.append(gallery, side.element);
  root.append(body);
  let disposed = false;
  /** the channel shown beside the images (index into panel.channels), −1 for none */
  let selected = -1;
  // one Plotly figure at a time in the side column, however fast the clicks come
  const draw = oneDrawAtATime(async () => {
    const i = selected;
    if (i >= 0) await enlarge(panel, i, { side, frame, ctx, stale: () => disposed || selected !== i });
  }, () => !disposed);

  /** Shows the i-th channel beside the images; `save` records it in the widget state. */
  function select(i: number, save: boolean): Promise<void> {
    selected = i;
    const channel = panel.channels[i];
    cards.forEach((c, k) => c.querySelector("button")?.setAttribute("aria-pressed", String(k === i)));
    side.element.dataset.channel = String(channel);
    if (save) ctx.choose({ maximized: { channel } });
    return draw();
  }

  const chosen = ctx.choices.maximized?.channel;
  const start = chosen === undefined ? -1 : panel.channels.indexOf(chosen);
  return {
    element: root,
    ready: start >= 0 ? select(start, false) : Promise.resolve(),
    dispose: () => {
      disposed = true;
      side.dispose();
      frame?.dispose();
      for (const url of urls) URL.revokeObjectURL(url);
    },
  };
}

function header(panel: MaximizedPanel): HTMLElement {
  const h = el("div", "convlens-panel-header");
  const { channels, height, width } = panel;
  const list = channels.length <= 8 ? `channels ${channels.join(", ")}` : `${channels.length} channels`;
  const done = panel.phase === "done" ? ` · ${height}×${width} · ${panel.steps} steps · seed ${panel.seed}` : "";
  h.append(
    el("span", "convlens-layer-name", `${panel.layer.index}: ${panel.layer.name}`),
    el("span", "convlens-shape", ` maximised activations · ${list} of ${panel.total_channels}${done}`),
  );
  return h;
}

/** The run's progress: moving while it runs, kept where a cancelled or failed run stopped. */
function progressLine(panel: MaximizedPanel): HTMLElement {
  const line = el("div", "convlens-progress-line");
  const bar = el("progress", "convlens-progress");
  bar.max = Math.max(1, panel.steps);
  bar.value = Math.min(panel.step, bar.max);
  const what = panel.phase === "running" ? "optimising: step" : `${panel.phase} at step`;
  const text = el("span", "convlens-progress-text", `${what} ${panel.step} of ${panel.steps}`);
  line.append(bar, text);
  return line;
}

/** One channel: its image as a button, its name and activation, and its top samples. */
function card(panel: MaximizedPanel, i: number, urls: string[], signal: AbortSignal, onClick: () => void): HTMLElement {
  const channel = panel.channels[i];
  const root = el("div", "convlens-max-card");
  root.dataset.channel = String(channel);
  const pick = el("button", "convlens-max-pick");
  pick.type = "button";
  pick.title = `channel ${channel}: show its feature map`;
  pick.setAttribute("aria-pressed", "false");
  pick.append(imageCanvas(panel, i));
  pick.addEventListener("click", onClick, { signal });
  const activation = panel.activations[i];
  const start = panel.start_activations[i];
  const means = `${formatFloat32(activation)} on its image, ${formatFloat32(start)} on the starting noise`;
  root.title = `channel ${channel}: mean activation ${means}`;
  root.append(
    pick,
    el("div", "convlens-max-label", `channel ${channel}`),
    el("div", "convlens-max-activation", `activation ${short(activation)} (noise ${short(start)})`),
  );
  if (panel.samples) root.append(topSamples(panel, i, urls));
  return root;
}

/** Three significant digits: the cards compare activations, the tooltips and readout keep them exact. */
function short(value: number): string {
  return formatFloat32(Number(value.toPrecision(3)));
}

function imageCanvas(panel: MaximizedPanel, i: number): HTMLCanvasElement {
  const { height, width } = panel;
  const canvas = el("canvas", "convlens-max-image");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (context) {
    const pixels = context.createImageData(width, height);
    const rgb = panel.images.subarray(i * height * width * 3, (i + 1) * height * width * 3);
    for (let p = 0, q = 0; p < height * width; p++, q += 3) {
      pixels.data.set([rgb[q], rgb[q + 1], rgb[q + 2], 255], p * 4);
    }
    context.putImageData(pixels, 0, 0);
  }
  // enlarged by a whole factor (sharp pixels) up to MIN_SIDE, shrunk down to MAX_SIDE
  const side = Math.max(height, width);
  const scale = side < MIN_SIDE ? Math.ceil(MIN_SIDE / side) : Math.min(1, MAX_SIDE / side);
  canvas.style.width = `${Math.round(width * scale)}px`;
  canvas.style.height = `${Math.round(height * scale)}px`;
  canvas.classList.toggle("convlens-pixelated", scale > 1);
  return canvas;
}

/** The samples that excite channel i most, best first, each with that mean activation. */
function topSamples(panel: MaximizedPanel, i: number, urls: string[]): HTMLElement {
  const samples = panel.samples as NonNullable<MaximizedPanel["samples"]>;
  const row = el("div", "convlens-max-samples");
  row.append(el("span", "convlens-max-samples-label", "top samples"));
  for (let rank = 0; rank < samples.per_channel; rank++) {
    const t = samples.top[i * samples.per_channel + rank];
    const png = t >= 0 ? samples.thumbnails[t] : undefined;
    if (!png || png.length === 0) continue;
    const mean = samples.means[i * samples.per_channel + rank];
    const name = samples.names[t] ?? `sample ${t}`;
    const url = pngUrl(png);
    urls.push(url);
    const figure = el("span", "convlens-max-sample");
    figure.dataset.rank = String(rank);
    figure.dataset.sample = name;
    figure.title = `${name}: mean activation ${formatFloat32(mean)}`;
    const img = el("img", "convlens-max-thumb");
    img.src = url;
    img.alt = name;
    figure.append(img, el("span", "convlens-max-sample-mean", short(mean)));
    row.append(figure);
  }
  return row;
}

/** Where a click draws: the side column, the sample image's frame, and the view's kernel. */
interface Beside {
  side: PanelSide;
  frame: ImageFrame | null;
  ctx: PanelContext;
  /** true once another channel is shown (or the panel is gone): a late exact value is dropped */
  stale(): boolean;
}

/** Draws channel i beside the images: its feature map on the sample image, else its image large. */
async function enlarge(panel: MaximizedPanel, i: number, beside: Beside): Promise<void> {
  const channel = panel.channels[i];
  const name = `channel ${channel}`;
  const maps = panel.maps;
  if (!maps || i >= maps.count) {
    const { height, width } = panel;
    const cells = (dy: number, dx: number) => rgbRows(panel, i, dy, dx);
    const tile: Tile = { title: name, height, width, rgb: true, zmin: 0, zmax: 255, hoverName: name, cells };
    await beside.side.enlarge(`${name}: its synthesised image`, tile, "grey", LARGE_SIDE, "");
    return;
  }
  const [lo, hi] = planeRange(maps, i);
  const cells = (dy: number, dx: number) => planeRows(maps, i, dy, dx);
  const { height, width } = maps;
  const tile: Tile = { title: name, height, width, zmin: lo, zmax: hi > lo ? hi : lo + 1e-6, hoverName: name, cells };
  const title = `${name} on the sample image (${maps.height}×${maps.width})`;
  await beside.side.enlarge(title, tile, "grey", LARGE_SIDE, maps.exact ? "" : ".4g", {
    onHover: (row, col) => showValue(maps, i, row, col, name, beside),
    onUnhover: () => beside.frame?.hideField(),
  });
}

/** The readout (and the unit's receptive field) for unit (row, col) of plane i. */
function showValue(maps: Planes, i: number, row: number, col: number, name: string, beside: Beside): void {
  const { frame, side, ctx } = beside;
  frame?.showField(row, col);
  const where = `${name}, row ${row}, col ${col}:`;
  const at = (i * maps.height + row) * maps.width + col;
  const readout = side.readout;
  if (maps.exact) {
    readout.textContent = `${where} ${formatFloat32(maps.exact[at])}`;
    return;
  }
  readout.textContent = `${where} ≈ ${formatFloat32(maps.offset[i] + maps.scale[i] * maps.codes[at])}`;
  // the kernel has the exact values (plane i of its maps is this channel)
  void ctx.exactValue(i, row, col).then((value) => {
    const current = readout.textContent?.startsWith(where) === true;
    if (value !== null && current && !beside.stale()) readout.textContent = `${where} ${formatFloat32(value)}`;
  });
}

function rgbRows(panel: MaximizedPanel, i: number, dy: number, dx: number): number[][][] {
  const { height, width } = panel;
  const base = i * height * width * 3;
  const rows: number[][][] = [];
  for (let y = 0; y < height; y += dy) {
    const row: number[][] = [];
    for (let x = 0; x < width; x += dx) {
      const k = base + (y * width + x) * 3;
      row.push([panel.images[k], panel.images[k + 1], panel.images[k + 2]]);
    }
    rows.push(row);
  }
  return rows;
}
