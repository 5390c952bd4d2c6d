// The slice of plotly.js's API that convlens uses (plotly.js-dist-min ships no types;
// declaring these few calls is lighter than pinning @types/plotly.js for the whole library).
declare module "plotly.js-dist-min" {
  export type Datum = Record<string, unknown>;
  export interface PlotDatum {
    curveNumber: number;
    x: number;
    y: number;
    z?: number;
  }
  export interface PlotMouseEvent {
    points: PlotDatum[];
    /** the DOM event behind it */
    event?: MouseEvent;
  }
  export interface PlotlyHTMLElement extends HTMLDivElement {
    on(event: "plotly_hover" | "plotly_click", handler: (event: PlotMouseEvent) => void): void;
    on(event: "plotly_unhover", handler: () => void): void;
    data: Datum[];
  }
  export function newPlot(el: HTMLElement, data: Datum[], layout: Datum, config: Datum): Promise<PlotlyHTMLElement>;
  export function purge(el: HTMLElement): void;
}
