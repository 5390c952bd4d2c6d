// Colour scales offered by the grids: grey like the seed's matplotlib "gray", a perceptual one,
// and a diverging one centred on 0 for signed weights. One set of stops serves every picture: the
// grids and the enlarged channel (Plotly heatmaps given these stops), the overlays painted on a
// canvas (colourAt), and, in the kernel, the PNG fallbacks (kernel-helpers/src/display/
// attribution-state.ts, whose colours a test compares with these).
import type { ColourScale } from "./state";

type Rgb = [number, number, number];

const hex = (h: string): Rgb => [0, 2, 4].map((i) => parseInt(h.slice(1 + i, 3 + i), 16)) as Rgb;

/**
 * Each scale's stops (position 0..1, colour): a black-to-white ramp; plotly.js's "Viridis"; and
 * plotly.js's "RdBu", blue for the low end and red for the high one, grey at the middle (the range
 * drawn with it is symmetric around 0, so negative is blue and positive red).
 */
export const SCALE_STOPS: Record<ColourScale, [number, Rgb][]> = {
  grey: [
    [0, [0, 0, 0]],
    [1, [255, 255, 255]],
  ],
  viridis: (
    [
      "#440154",
      "#48186a",
      "#472d7b",
      "#424086",
      "#3b528b",
      "#33638d",
      "#2c728e",
      "#26828e",
      "#21918c",
      "#1fa088",
      "#28ae80",
      "#3fbc73",
      "#5ec962",
      "#84d44b",
      "#addc30",
      "#d8e219",
      "#fde725",
    ] as const
  ).map((h, i) => [i === 16 ? 1 : (i * 16) / 255, hex(h)]),
  diverging: [
    [0, [5, 10, 172]],
    [0.35, [106, 137, 247]],
    [0.5, [190, 190, 190]],
    [0.6, [220, 170, 132]],
    [0.7, [230, 145, 90]],
    [1, [178, 10, 28]],
  ],
};

export interface PlotlyColours {
  colorscale: [number, string][];
}

/** The scale as a Plotly colorscale. */
export function plotlyColours(scale: ColourScale): PlotlyColours {
  return { colorscale: SCALE_STOPS[scale].map(([at, rgb]) => [at, `rgb(${rgb.join(",")})`]) };
}

export const COLOUR_SCALE_LABELS: Record<ColourScale, string> = {
  grey: "grey",
  viridis: "viridis (perceptual)",
  diverging: "diverging (signed)",
};

/** The colour of `t` in 0..1 on `scale` (clamped; NaN is the low end): linear between stops, rounded, as Plotly paints. */
export function colourAt(scale: ColourScale, t: number): Rgb {
  const stops = SCALE_STOPS[scale];
  const x = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) : 0;
  let i = 0;
  while (i < stops.length - 2 && x > stops[i + 1][0]) i++;
  const [[p0, a], [p1, b]] = [stops[i], stops[i + 1]];
  const f = p1 > p0 ? (x - p0) / (p1 - p0) : 0;
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as Rgb;
}
