// Colour scales offered by the grids: grey like the seed's matplotlib "gray", a perceptual one,
// and a diverging one centred on 0 for signed weights.
import type { ColourScale } from "./state";

export interface PlotlyColours {
  colorscale: string | [number, string][];
  reversescale?: boolean;
}

export function plotlyColours(scale: ColourScale): PlotlyColours {
  switch (scale) {
    case "grey":
      return { colorscale: [[0, "#000000"], [1, "#ffffff"]] };
    case "viridis":
      return { colorscale: "Viridis" };
    case "diverging":
      // Plotly's RdBu runs red→blue; reversed, negative weights are blue and positive red. The
      // range given with it is symmetric around 0 (filterRange), which puts white at zero.
      return { colorscale: "RdBu", reversescale: true };
  }
}

export const COLOUR_SCALE_LABELS: Record<ColourScale, string> = {
  grey: "grey",
  viridis: "viridis (perceptual)",
  diverging: "diverging (signed)",
};

// The same scales as RGB stops, for what is painted on a canvas (overlays): matplotlib's viridis
// at 0, ¼, ½, ¾, 1, and the ends and middle of Plotly's reversed RdBu.
const STOPS: Record<ColourScale, [number, number, number][]> = {
  grey: [[0, 0, 0], [255, 255, 255]],
  viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  diverging: [[5, 10, 172], [190, 190, 190], [178, 10, 28]],
};

/** The colour of `t` in 0..1 on `scale` (clamped; NaN is the low end). */
export function colourAt(scale: ColourScale, t: number): [number, number, number] {
  const stops = STOPS[scale];
  const x = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) * (stops.length - 1) : 0;
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}
