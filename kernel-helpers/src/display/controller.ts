// Kernel side of one convlens widget: answers the front end's requests (exact value under the
// mouse, another page of filters, another layer in the explorer) by recomputing panels.
import type { ChannelStack, FilterStack, LayerRef } from "../types";
import type { MessageHandler } from "../runtime/widget";
import { filtersPanel, mapsPanel, type FiltersOptions, type MapsOptions } from "./state";
import type { PanelState, Request, ValueReply, ViewState } from "./wire";

export type { Request, ValueReply } from "./wire";

/** Which filters and input channels a page of a filter grid shows. */
export interface FilterPage {
  filterStart: number;
  filters: number;
  channelStart: number;
  channels: number;
}

/** Computes a page of a conv layer's filters (e.g. wraps the helpers' `filters(model, layer, opts)`). */
export type FilterSource = (page: FilterPage) => FilterStack | Promise<FilterStack>;

/** What the layer explorer needs from a model; the helpers' convLayers / featureMaps / filters satisfy it. */
export interface ExplorerSource {
  /** the conv layers offered in the dropdown, index = the layer's index in the model */
  layers: LayerRef[];
  computeMaps(layerIndex: number): ChannelStack | Promise<ChannelStack>;
  computeFilters(layerIndex: number, page: FilterPage): FilterStack | Promise<FilterStack>;
  /** the input image as PNG bytes, shown beside the maps */
  image?: Uint8Array | null;
}

/** The part of the kernel's Widget this controller uses. */
export interface ViewWidget {
  /** false once the comm is closed (the widget's cell re-ran, the notebook closed, close() was called) */
  readonly isOpen: boolean;
  get<K extends keyof ViewState>(key: K): ViewState[K];
  set(patch: Partial<ViewState>): void;
  on(event: "change:layer_index" | "change:mode", handler: () => void): unknown;
  on(event: "msg", handler: MessageHandler): unknown;
  send(content: unknown, buffers?: ArrayBufferView[]): void;
}

/** What produced a panel, kept so the kernel can answer for it later. */
export type PanelSource =
  | { kind: "maps"; stack: ChannelStack; options: Partial<MapsOptions> }
  | { kind: "filters"; stack: FilterStack; compute: FilterSource | null; pageFilters: number; pageChannels: number; options: Partial<FiltersOptions> };

export class DisplayController {
  private generation = 0;
  /** the explorer choice whose panel is shown: where the dropdowns go back to when a choice fails */
  private shown: { layer_index: number; mode: ViewState["mode"] };
  /** set while the kernel itself puts the dropdowns back, so that change is not a new choice */
  private restoring = false;

  constructor(
    private readonly widget: ViewWidget,
    private sources: PanelSource[],
    private readonly explorer: ExplorerSource | null = null,
  ) {
    this.shown = { layer_index: widget.get("layer_index"), mode: widget.get("mode") };
    widget.on("msg", (content) => void this.onMessage(content));
    if (explorer) {
      widget.on("change:layer_index", () => void (this.restoring || this.showExplorerLayer()));
      widget.on("change:mode", () => void (this.restoring || this.showExplorerLayer()));
    }
  }

  /** Handles one front-end request; errors become the status line, never an exception in the kernel. */
  async onMessage(content: unknown): Promise<void> {
    const request = parseRequest(content);
    // an attribution panel's requests are answered by its own AttributionController (attribution.ts)
    if (!request || request.type === "attribution_class") return;
    if (request.type === "value") {
      this.widget.send(this.valueAt(request));
      return;
    }
    // The front end shows its own "loading…" line and replaces it on a status change; a failure
    // that repeats the previous error would change nothing, so every request first says this.
    this.update({ status: "computing filters…" });
    await this.guard(async () => {
      const source = this.sources[request.panel];
      if (!source || source.kind !== "filters" || !source.compute) throw new Error("these filters cannot be paged (showFilters was given one fixed FilterStack)");
      const page = clampFilterPage(source.stack, request.filter_start, request.channel_start, source.pageFilters, source.pageChannels);
      const stack = await source.compute(page);
      this.replace(request.panel, { ...source, stack });
    });
  }

  valueAt(r: Extract<Request, { type: "value" }>): ValueReply {
    const reply: ValueReply = { type: "value", request: r.request, panel: r.panel, channel: r.channel, row: r.row, col: r.col, value: null };
    const source = this.sources[r.panel];
    if (!source) return reply;
    const [count, height, width, data] =
      source.kind === "maps"
        ? [source.stack.channels, source.stack.height, source.stack.width, source.stack.data]
        : [source.stack.filters * source.stack.inChannels, source.stack.kernelHeight, source.stack.kernelWidth, source.stack.data];
    const inside = (v: number, n: number) => Number.isInteger(v) && v >= 0 && v < n;
    if (inside(r.channel, count) && inside(r.row, height) && inside(r.col, width)) {
      reply.value = data[(r.channel * height + r.row) * width + r.col];
    }
    return reply;
  }

  /** Explorer: compute the chosen layer in the chosen mode and send it as panel 0. */
  async showExplorerLayer(): Promise<void> {
    const explorer = this.explorer;
    if (!explorer) return;
    const index = this.widget.get("layer_index");
    const mode = this.widget.get("mode");
    // Every choice, even one refused at once, supersedes any choice still computing.
    const generation = ++this.generation;
    const layer = explorer.layers.find((l) => l.index === index);
    if (!layer) {
      this.failChoice(`convlens: no conv layer has index ${index}; choose one of ${explorer.layers.map((l) => l.index).join(", ")}`);
      return;
    }
    this.update({ status: `computing ${layer.name} ${mode === "maps" ? "feature maps" : "filters"}…` });
    await this.guard(async () => {
      const source = await explorerPanelSource(explorer, layer.index, mode);
      // A newer choice arrived while this one computed: drop the stale result.
      if (generation !== this.generation) return;
      this.sources = [source];
      this.shown = { layer_index: layer.index, mode };
      this.update({ panels: [panelOf(source, explorer.image ?? null)], status: "" });
    }, () => generation === this.generation, (message) => this.failChoice(message));
  }

  /**
   * A choice that cannot be shown: say why, and put the dropdowns back on the panel that is shown,
   * so they match it and choosing the failed layer again asks again.
   */
  private failChoice(status: string): void {
    this.restoring = true;
    try {
      this.update({ status, ...this.shown });
    } finally {
      this.restoring = false;
    }
  }

  /** set(), unless the widget was closed meanwhile (a result that arrives for a closed widget has nowhere to go). */
  private update(patch: Partial<ViewState>): void {
    if (this.widget.isOpen) this.widget.set(patch);
  }

  private replace(index: number, source: PanelSource): void {
    this.sources = this.sources.map((s, i) => (i === index ? source : s));
    const panels = this.widget.get("panels").map((p, i) => (i === index ? panelOf(source, imageOf(p)) : p));
    this.update({ panels, status: "" });
  }

  /** Runs `work`; its error becomes the status line (or goes to `fail`) unless `current()` says a newer request took over. */
  private async guard(work: () => Promise<void>, current: () => boolean = () => true, fail = (status: string) => this.update({ status })): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!current()) return;
      const message = error instanceof Error ? error.message : String(error);
      fail(message.startsWith("convlens") ? message : `convlens: ${message}`);
    }
  }
}

export const DEFAULT_FILTER_PAGE = { filters: 8, channels: 8 };

export async function explorerPanelSource(explorer: ExplorerSource, layerIndex: number, mode: ViewState["mode"]): Promise<PanelSource> {
  if (mode === "maps") return { kind: "maps", stack: await explorer.computeMaps(layerIndex), options: {} };
  const compute: FilterSource = (page) => explorer.computeFilters(layerIndex, page);
  const first = { filterStart: 0, filters: DEFAULT_FILTER_PAGE.filters, channelStart: 0, channels: DEFAULT_FILTER_PAGE.channels };
  const stack = await compute(first);
  return { kind: "filters", stack, compute, pageFilters: first.filters, pageChannels: first.channels, options: {} };
}

export function panelOf(source: PanelSource, image: Uint8Array | null): PanelState {
  return source.kind === "maps" ? mapsPanel(source.stack, image, source.options) : filtersPanel(source.stack, source.options);
}

function imageOf(panel: PanelState): Uint8Array | null {
  return panel.kind === "maps" ? panel.image : null;
}

/** The page starting at (filterStart, channelStart), cut to the layer's counts. */
export function clampFilterPage(stack: FilterStack, filterStart: number, channelStart: number, filters: number, channels: number): FilterPage {
  // Pages start at multiples of the page size, so paging back and forth lands on the same pages.
  const align = (v: number, total: number, size: number) => {
    const inside = Math.min(Math.max(0, Math.trunc(v)), Math.max(0, total - 1));
    return inside - (inside % size);
  };
  const f = align(filterStart, stack.totalFilters, filters);
  const c = align(channelStart, stack.totalInChannels, channels);
  return { filterStart: f, filters: Math.min(filters, stack.totalFilters - f), channelStart: c, channels: Math.min(channels, stack.totalInChannels - c) };
}

function parseRequest(content: unknown): Request | null {
  if (typeof content !== "object" || content === null) return null;
  const c = content as Record<string, unknown>;
  const ints = (...keys: string[]) => keys.every((k) => Number.isInteger(c[k]));
  if (c.type === "value" && ints("request", "panel", "channel", "row", "col")) return c as unknown as Request;
  if (c.type === "filters_page" && ints("panel", "filter_start", "channel_start")) return c as unknown as Request;
  return null;
}
