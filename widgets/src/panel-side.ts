// The column beside a panel's grid: anything the panel puts on top (the input image), the hover
// readout, and one tile enlarged with a colour bar.
import { el } from "./dom";
import { renderLarge, type LargeHover, type Tile } from "./heatmap-grid";
import type { ColourScale } from "./state";

export interface PanelSide {
  element: HTMLElement;
  readout: HTMLElement;
  /** draws `tile` large under `title`, in place of the one shown */
  enlarge(title: string, tile: Tile, colourScale: ColourScale, size: number, valueFormat: string, hover?: LargeHover): Promise<void>;
  dispose(): void;
}

export function panelSide(hint: string, above: Node[] = []): PanelSide {
  const element = el("div", "convlens-side");
  const readout = el("div", "convlens-readout", hint);
  const largeTitle = el("div", "convlens-large-title");
  const largeHost = el("div", "convlens-large");
  element.append(...above, readout, largeTitle, largeHost);
  let disposeLarge: (() => void) | null = null;
  let disposed = false;
  return {
    element,
    readout,
    async enlarge(title, tile, colourScale, size, valueFormat, hover) {
      disposeLarge?.();
      largeTitle.textContent = title;
      disposeLarge = await renderLarge(largeHost, tile, colourScale, size, valueFormat, hover);
      if (disposed) disposeLarge(); // the panel went while Plotly painted: nothing else would purge it
    },
    dispose() {
      disposed = true;
      disposeLarge?.();
    },
  };
}
