// convlens widget model and view: one model holds a list of panels (feature maps or filters);
// with a non-empty `layers` list the view is the layer explorer, whose choices the kernel answers.
import { DOMWidgetModel, DOMWidgetView } from "@jupyter-widgets/base";
import type { BufferJSON, Dict, ISerializers, IWidgetManager } from "@jupyter-widgets/base";
import { attributionTab, renderAttributionPanel } from "./attribution-panel";
import { button, el, select } from "./dom";
import { renderFiltersPanel } from "./filters-panel";
import { linkable, renderLinkedMaps } from "./linked";
import { renderMapsPanel } from "./maps-panel";
import { renderMaximizedPanel } from "./maximized-panel";
import { panelsWithMaximized } from "./maximized-state";
import type { PanelContext, PanelHandle } from "./panel";
import { renameOldLayout, type LayerRef, type Panel, type PanelChoices, type Request, type ValueReply } from "./state";
import { ensureStyles } from "./styles";
import { measureSince, timed } from "./timing";
import { MODULE_NAME, MODULE_VERSION } from "./version";

/** How long a hover waits for the kernel's exact value before keeping the approximation. */
const VALUE_TIMEOUT_MS = 5000;

export class ConvLensModel extends DOMWidgetModel {
  override defaults() {
    return {
      ...super.defaults(),
      _model_name: "ConvLensModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "ConvLensView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      title: "",
      panels: [],
      arrangement: "stacked",
      linked: false,
      layers: [],
      layer_index: -1,
      mode: "maps",
      status: "",
      choices: [],
    };
  }

  static override serializers: ISerializers = {
    ...DOMWidgetModel.serializers,
    // Typed arrays pass through unchanged: ipywidgets' remove_buffers turns them back into buffers.
    panels: { deserialize: (value: unknown) => timed("deserialise", () => panelsWithMaximized(value)), serialize: (value: unknown) => value as never },
  };

  // Every state reaches the model through here: a kernel's comm_open and updates, and the widget
  // state a notebook saved, where an older convlens wrote the arrangement under `layout`.
  static override _deserialize_state(state: Dict<BufferJSON>, manager: IWidgetManager): Promise<Dict<unknown>> {
    return super._deserialize_state(renameOldLayout(state), manager);
  }
}

export class ConvLensView extends DOMWidgetView {
  private readonly lifetime = new AbortController();
  private panelHandles: PanelHandle[] = [];
  private readonly pending = new Map<number, (value: number | null) => void>();
  private nextRequest = 1;
  private activeTab = 0;
  private titleEl = el("div", "convlens-title");
  private explorerEl = el("div", "convlens-explorer");
  private statusEl = el("div", "convlens-status");
  private tabsEl = el("div", "convlens-tabs");
  private panelsEl = el("div", "convlens-panels");
  /** resolves when the current panels are painted (tests and the bench wait on data-painted) */
  painted: Promise<void> = Promise.resolve();

  override render(): void {
    ensureStyles();
    this.el.classList.add("convlens-view");
    this.el.append(this.titleEl, this.explorerEl, this.statusEl, this.tabsEl, this.panelsEl);
    // listenTo ties model listeners to the view: Backbone's remove() stops them.
    this.listenTo(this.model, "change:title", this.renderTitle);
    this.listenTo(this.model, "change:status", this.renderStatus);
    this.listenTo(this.model, "change:layers change:layer_index change:mode", this.renderExplorer);
    this.listenTo(this.model, "change:panels change:arrangement change:linked", this.renderPanels);
    this.listenTo(this.model, "msg:custom", this.onCustom);
    this.renderTitle();
    this.renderStatus();
    this.renderExplorer();
    this.renderPanels();
  }

  override remove(): void {
    this.disposePanels();
    this.lifetime.abort();
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    super.remove();
  }

  private renderTitle(): void {
    this.titleEl.textContent = String(this.model.get("title") ?? "");
  }

  private renderStatus(): void {
    this.statusEl.textContent = String(this.model.get("status") ?? "");
  }

  private renderExplorer(): void {
    const layers = (this.model.get("layers") ?? []) as LayerRef[];
    this.explorerEl.replaceChildren();
    this.explorerEl.hidden = layers.length === 0;
    if (layers.length === 0) return;
    const signal = this.lifetime.signal;
    const layerSelect = select<string>(
      "convlens-layer-select",
      layers.map((l) => [String(l.index), `${l.index}: ${l.name}`]),
      String(this.model.get("layer_index")),
      (value) => this.choose({ layer_index: Number(value) }),
      signal,
    );
    const modeSelect = select<"maps" | "filters">(
      "convlens-mode-select",
      [["maps", "feature maps"], ["filters", "filters"]],
      this.model.get("mode"),
      (mode) => this.choose({ mode }),
      signal,
    );
    this.explorerEl.append(el("span", "", "layer"), layerSelect, modeSelect);
  }

  /** Explorer choices are synced state: the kernel hears change:layer_index / change:mode and recomputes. */
  private choose(patch: { layer_index?: number; mode?: string }): void {
    if (this.noKernel()) {
      this.renderExplorer(); // back to the choice that is shown
      return;
    }
    this.model.set(patch);
    this.model.save_changes();
  }

  private renderPanels(): void {
    const started = performance.now();
    this.disposePanels();
    this.renderStatus(); // clears a local "loading…" line once the kernel's answer arrives
    const panels = (this.model.get("panels") ?? []) as Panel[];
    // compare(): maps of one layer, one per image, drawn as linked grids (linked.ts)
    const linked = this.model.get("linked") === true ? linkable(panels) : null;
    const tabs = !linked && this.model.get("arrangement") === "tabs" && panels.length > 1;
    this.panelsEl.classList.toggle("convlens-side-by-side", !linked && this.model.get("arrangement") === "side");
    this.tabsEl.replaceChildren();
    this.tabsEl.hidden = !tabs;
    if (this.activeTab >= panels.length) this.activeTab = 0;
    if (tabs) {
      panels.forEach((p, i) => {
        const [label, what] = p.kind === "attribution" ? attributionTab(p) : [`${p.layer.index}: ${p.layer.name}`, p.kind === "maps" ? "feature maps" : "filters"];
        const tab = button(label, `show ${what}`, () => {
          this.activeTab = i;
          this.renderPanels();
        }, this.lifetime.signal);
        tab.classList.add("convlens-tab");
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-selected", String(i === this.activeTab));
        this.tabsEl.append(tab);
      });
    }
    // Tabs render only the chosen panel: hidden Plotly figures would cost paint time for nothing.
    const shown = tabs ? [this.activeTab] : panels.map((_, i) => i);
    this.panelsEl.dataset.painted = "false";
    const side = this.model.get("arrangement") !== "stacked";
    this.panelHandles = linked ? [renderLinkedMaps(linked, linked.map((_, i) => this.panelContext(i)), side)] : shown.map((i) => {
      const panel = panels[i];
      const ctx = this.panelContext(i);
      if (panel.kind === "maximized") return renderMaximizedPanel(panel, ctx);
      if (panel.kind === "attribution") return renderAttributionPanel(panel, ctx);
      return panel.kind === "maps" ? renderMapsPanel(panel, ctx) : renderFiltersPanel(panel, ctx);
    });
    this.panelsEl.replaceChildren(...this.panelHandles.map((h) => h.element));
    const handles = this.panelHandles;
    this.painted = Promise.all(handles.map((h) => h.ready)).then(() => {
      if (handles !== this.panelHandles) return;
      this.panelsEl.dataset.painted = "true";
      measureSince("render", started);
    });
    this.painted.catch((error: unknown) => {
      this.statusEl.textContent = `convlens: could not draw the heatmaps: ${error instanceof Error ? error.message : String(error)}`;
    });
  }

  private panelContext(index: number): PanelContext {
    const choices = (this.model.get("choices") ?? []) as PanelChoices[];
    return {
      index,
      signal: this.lifetime.signal,
      choices: choices[index] ?? {},
      choose: (patch) => {
        const all = [...((this.model.get("choices") ?? []) as PanelChoices[])];
        for (let i = all.length; i < index; i++) all[i] = {}; // JSON has no holes
        const before = all[index] ?? {};
        all[index] = { ...before, maps: { ...before.maps, ...patch.maps }, filters: { ...before.filters, ...patch.filters } };
        if (patch.maximized) all[index] = { ...all[index], maximized: { ...before.maximized, ...patch.maximized } };
        if (patch.attribution) all[index] = { ...all[index], attribution: { ...before.attribution, ...patch.attribution } };
        this.model.set("choices", all);
        // Saved widget state has no kernel to tell; the choice still lands in the next save.
        if (this.model.comm_live) this.model.save_changes();
      },
      exactValue: (channel, row, col) => this.askValue({ type: "value", request: this.nextRequest++, panel: index, channel, row, col }),
      requestFilterPage: (filterStart, channelStart) => {
        if (this.noKernel()) return;
        this.statusEl.textContent = "loading filters…";
        this.send({ type: "filters_page", panel: index, filter_start: Math.max(0, filterStart), channel_start: Math.max(0, channelStart) });
      },
      request: (request, status) => {
        if (this.noKernel()) return false;
        this.statusEl.textContent = status;
        this.send(request);
        return true;
      },
    };
  }

  /** Saved widget state after a reload has no kernel behind it: say so rather than wait for an answer. */
  private noKernel(): boolean {
    if (this.model.comm_live) return false;
    this.statusEl.textContent = "convlens: no kernel is connected to this widget (it is saved state); run its cell again to page or switch layers";
    return true;
  }

  private askValue(request: Extract<Request, { type: "value" }>): Promise<number | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(request.request);
        resolve(null);
      }, VALUE_TIMEOUT_MS);
      this.pending.set(request.request, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.send(request);
    });
  }

  private onCustom(content: unknown): void {
    const reply = content as Partial<ValueReply> | null;
    if (reply?.type !== "value" || typeof reply.request !== "number") return;
    const resolve = this.pending.get(reply.request);
    if (!resolve) return;
    this.pending.delete(reply.request);
    resolve(typeof reply.value === "number" ? reply.value : null);
  }

  private disposePanels(): void {
    for (const handle of this.panelHandles) handle.dispose();
    this.panelHandles = [];
  }
}
