// The widget's colour scales as plotly.js paints them: a heatmap given plotlyColours(scale) is
// painted with colourAt(scale, t)'s colours, the function the overlays use and, through
// test/display/attribution.test.ts, the kernel's PNG fallbacks. So the grid, the overlay and the
// fallback of one panel show the same colours, and the diverging scale puts negative values in blue
// and positive ones in red everywhere (the grid once had them the other way round).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openBundledPage, type Browser } from "../support/browser";

let browser: Browser;
let page: Page;

const ENTRY = `import * as Plotly from "plotly.js-dist-min";
import { colourAt, plotlyColours } from "./widgets/src/colours";
window.Plotly = Plotly;
window.colours = { colourAt, plotlyColours };`;

before(async () => {
  browser = await openBundledPage(ENTRY, "<body><div id='fig'></div></body>");
  page = browser.page;
});

after(async () => {
  await browser?.close();
});

const STEPS = 100;

/** The colours plotly.js paints for t = 0, 1/STEPS, …, 1 on `scale`, read back from the figure's image. */
async function painted(scale: string, named?: string): Promise<number[][]> {
  return page.evaluate(
    async ({ scale, named, steps }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const w = window as any;
      const gd = document.getElementById("fig")!;
      const z = [Array.from({ length: steps + 1 }, (_, i) => i / steps)];
      const axis = { visible: false, fixedrange: true };
      await w.Plotly.newPlot(
        gd,
        [
          {
            type: "heatmap",
            z,
            zmin: 0,
            zmax: 1,
            showscale: false,
            ...(named ? { colorscale: named } : w.colours.plotlyColours(scale)),
          },
        ],
        { width: (steps + 1) * 4, height: 20, margin: { l: 0, r: 0, t: 0, b: 0 }, xaxis: axis, yaxis: axis },
      );
      const image = new Image();
      image.src = gd.querySelector("image")!.getAttribute("href")!;
      await image.decode();
      const canvas = document.createElement("canvas");
      [canvas.width, canvas.height] = [image.width, image.height];
      const context = canvas.getContext("2d")!;
      context.drawImage(image, 0, 0);
      return Array.from({ length: steps + 1 }, (_, i) =>
        Array.from(context.getImageData(Math.floor(((i + 0.5) * image.width) / (steps + 1)), 0, 1, 1).data.slice(0, 3)),
      );
    },
    { scale, named, steps: STEPS },
  );
}

async function ours(scale: string): Promise<number[][]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return page.evaluate(
    ({ scale, steps }) =>
      Array.from({ length: steps + 1 }, (_, i) => (window as any).colours.colourAt(scale, i / steps)),
    { scale, steps: STEPS },
  );
}

// the scales are plotly.js's own: given by name, it paints the same colours
const NAMED: Record<string, string | undefined> = { grey: undefined, viridis: "Viridis", diverging: "RdBu" };

for (const scale of ["grey", "viridis", "diverging"]) {
  test(`${scale}: plotly.js paints a heatmap in colourAt's colours${NAMED[scale] ? ` (and so does its own ${NAMED[scale]})` : ""}`, async () => {
    const mine = await ours(scale);
    for (const plotly of [await painted(scale), ...(NAMED[scale] ? [await painted(scale, NAMED[scale])] : [])]) {
      plotly.forEach((rgb, i) => {
        const off = Math.max(...rgb.map((v, k) => Math.abs(v - mine[i][k])));
        assert.ok(off <= 1, `${scale} at ${i / STEPS}: plotly.js paints ${rgb}, colourAt gives ${mine[i]}`);
      });
    }
  });
}

test("diverging: the low end (negative) is blue, the middle grey, the high end (positive) red, as painted", async () => {
  const plotly = await painted("diverging");
  const [low, middle, high] = [plotly[0], plotly[STEPS / 2], plotly[STEPS]];
  assert.ok(low[2] > 150 && low[0] < 50, `low end ${low}`);
  assert.ok(Math.max(...middle) - Math.min(...middle) < 10, `middle ${middle}`);
  assert.ok(high[0] > 150 && high[2] < 50, `high end ${high}`);
});
