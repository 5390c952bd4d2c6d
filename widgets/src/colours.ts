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
