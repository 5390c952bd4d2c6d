// The attribution panel: a class's map (Grad-CAM, saliency or occlusion) laid over the input image
// on a canvas, with its opacity and colour scale as the viewer's choices, beside the model's top-k
// classes as bars. Clicking a class asks the kernel for that class's map; the new map arrives as a
// new panel state. Labels come from label files and models: they land as textContent only.
import { COLOUR_SCALE_LABELS, colourAt } from "./colours";
import { el, select } from "./dom";
import { imageFrame, type ImageFrame, type OverlayPlane } from "./image-frame";
import type { PanelContext, PanelHandle } from "./panel";
import { formatFloat32, type AttributionPanel, type ClassBar, type ColourScale, type PanelChoices } from "./state";

type AttributionChoices = NonNullable<PanelChoices["attribution"]>;

const METHOD_NAMES: Record<AttributionPanel["method"], string> = {
  gradcam: "Grad-CAM",
  saliency: "saliency",
  smoothgrad: "SmoothGrad",
  occlusion: "occlusion",
};

export function renderAttributionPanel(panel: AttributionPanel, ctx: PanelContext): PanelHandle {
  const chosen = ctx.choices.attribution ?? {};
  const ui = { colour: chosen.colour_scale ?? panel.colour_scale, opacity: chosen.opacity ?? panel.opacity };
  const root = el("div", "convlens-panel convlens-attribution");
  root.dataset.classIndex = String(panel.class_index);
  const frame = imageFrame(panel.image, null);
  const legend = colourLegend(panel);
  const paint = () => {
    frame.overlay(mapPlane(panel), ui.colour, ui.opacity);
    legend.paint(ui.colour);
  };
  const controls = attributionControls(ui, ctx.signal, (patch, save) => {
    Object.assign(ui, { colour: patch.colour_scale ?? ui.colour, opacity: patch.opacity ?? ui.opacity });
    paint();
    if (save) ctx.choose({ attribution: patch });
  });
  const readout = mapReadout(panel, frame, ctx.signal);
  const picture = el("div", "convlens-attribution-picture");
  picture.append(frame.element, legend.element, readout);
  const body = el("div", "convlens-body");
  body.append(picture, classBars(panel, ctx));
  root.append(attributionHeader(panel), controls, body);
  paint();
  return { element: root, ready: Promise.resolve(), dispose: () => frame.dispose() };
}

/** "Grad-CAM of <label> (class 281) · layer 17: block5_conv3 · 224×224" */
function attributionHeader(panel: AttributionPanel): HTMLElement {
  const header = el("div", "convlens-panel-header");
  const method = el("span", "convlens-attribution-method", METHOD_NAMES[panel.method] ?? String(panel.method));
  const label = el("span", "convlens-attribution-class", panel.class_label);
  const where = panel.layer ? ` · layer ${panel.layer.index}: ${panel.layer.name}` : "";
  const rest = ` (class ${panel.class_index})${where} · ${panel.map.height}×${panel.map.width}`;
  header.append(method, " of ", label, el("span", "convlens-shape", rest));
  return header;
}

/** The map as the overlay's plane, with the kernel's colour range (from 0, or symmetric about 0 when signed). */
function mapPlane(panel: AttributionPanel): OverlayPlane {
  const { height, width, codes, scale, offset } = panel.map;
  const [zmin, zmax] = panel.colour_range;
  return { height, width, zmin, zmax, value: (row, col) => offset[0] + scale[0] * codes[row * width + col] };
}

function attributionControls(
  ui: { colour: ColourScale; opacity: number },
  signal: AbortSignal,
  change: (patch: AttributionChoices, save: boolean) => void,
): HTMLElement {
  const controls = el("div", "convlens-controls");
  const scales = Object.entries(COLOUR_SCALE_LABELS) as [ColourScale, string][];
  const colour = select("convlens-colour", scales, ui.colour, (v) => change({ colour_scale: v }, true), signal);
  const opacity = el("input", "convlens-opacity");
  opacity.type = "range";
  Object.assign(opacity, { min: "0", max: "1", step: "0.05", value: String(ui.opacity), title: "the map's opacity" });
  // repainted while dragging; saved (one message to the kernel) where it is let go
  opacity.addEventListener("input", () => change({ opacity: Number(opacity.value) }, false), { signal });
  opacity.addEventListener("change", () => change({ opacity: Number(opacity.value) }, true), { signal });
  const label = el("label", "convlens-overlay-label");
  label.append("map opacity ", opacity);
  controls.append(colour, label);
  return controls;
}

/** A bar of the colour scale, the values at its ends (and 0 in a signed map's middle), and what a value is. */
function colourLegend(panel: AttributionPanel): { element: HTMLElement; paint(scale: ColourScale): void } {
  const element = el("div", "convlens-legend");
  const bar = el("div", "convlens-legend-bar");
  const [low, high] = panel.colour_range;
  const ends = el("div", "convlens-legend-ends");
  const middle = panel.signed ? "0" : "";
  ends.append(el("span", "", formatFloat32(low)), el("span", "", middle), el("span", "", formatFloat32(high)));
  element.append(bar, ends, el("div", "convlens-legend-measure", panel.measure));
  return {
    element,
    paint(scale) {
      const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `rgb(${colourAt(scale, t).join(", ")}) ${t * 100}%`);
      bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    },
  };
}

/** The map's value under the mouse (≈: from the uint8 codes the map travels as). */
function mapReadout(panel: AttributionPanel, frame: ImageFrame, signal: AbortSignal): HTMLElement {
  const hint = "hover the image for the map's value";
  const readout = el("div", "convlens-readout", hint);
  const { height, width, codes, scale, offset } = panel.map;
  frame.element.addEventListener("mousemove", (event) => {
    const box = frame.element.getBoundingClientRect();
    const col = Math.min(width - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * width)));
    const row = Math.min(height - 1, Math.max(0, Math.floor(((event.clientY - box.top) / box.height) * height)));
    const value = offset[0] + scale[0] * codes[row * width + col];
    readout.textContent = `row ${row}, col ${col}: ≈ ${formatFloat32(value)}`;
  }, { signal });
  frame.element.addEventListener("mouseleave", () => (readout.textContent = hint), { signal });
  return readout;
}

/** The top-k classes as bars, the explained one highlighted; clicking another asks the kernel to explain it. */
function classBars(panel: AttributionPanel, ctx: PanelContext): HTMLElement {
  const list = el("div", "convlens-classes");
  // the class asked for, when not among the top k, comes after them with its own rank
  const extra = panel.classes.findIndex((c, i) => c.rank !== i + 1);
  const top = extra === -1 ? panel.classes.length : extra;
  list.append(el("div", "convlens-side-title", `top ${top} classes · click one to explain it`));
  const rows = panel.classes.map((c) => classRow(c, c.class_index === panel.class_index));
  rows.forEach((row, i) => {
    const c = panel.classes[i];
    row.addEventListener("click", () => {
      if (c.class_index === panel.class_index) return;
      const asked = ctx.request(
        { type: "attribution_class", panel: ctx.index, class_index: c.class_index },
        `computing ${METHOD_NAMES[panel.method] ?? panel.method} for ${c.label}…`,
      );
      if (asked) for (const r of rows) r.classList.toggle("convlens-class-pending", r === row);
    }, { signal: ctx.signal });
  });
  list.append(...rows);
  return list;
}

function classRow(c: ClassBar, shown: boolean): HTMLButtonElement {
  const row = el("button", "convlens-class");
  row.type = "button";
  row.dataset.classIndex = String(c.class_index);
  row.classList.toggle("convlens-class-shown", shown);
  row.setAttribute("aria-pressed", String(shown));
  row.title = shown ? "the class the map explains" : `explain class ${c.class_index}`;
  const probability = Number.isFinite(c.probability) ? Math.min(Math.max(c.probability, 0), 1) : 0;
  const track = el("span", "convlens-class-track");
  const fill = el("span", "convlens-class-fill");
  fill.style.width = `${probability * 100}%`;
  track.append(fill);
  const label = el("span", "convlens-class-label", c.label);
  label.title = c.label; // the whole label where the column cuts it short (an attribute is text, not markup)
  row.append(
    el("span", "convlens-class-rank", `${c.rank}.`),
    label,
    track,
    el("span", "convlens-class-prob", `${(probability * 100).toFixed(1)} %`),
  );
  return row;
}

/** A tab's label and what it shows, when panels are tabs. */
export function attributionTab(panel: AttributionPanel): [string, string] {
  return [`${METHOD_NAMES[panel.method] ?? panel.method}: ${panel.class_label}`, "the attribution map"];
}
