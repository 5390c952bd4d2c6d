// The seam to plotly.js's internals in the browser tests: the only file that reads them. Plotly has
// no public call that turns data coordinates into page pixels (the tests move the mouse onto a
// given cell of a heatmap), so this reads each axis's `_offset` and `l2p` from the figure's
// `_fullLayout`; and whether Plotly still holds the figure's event emitter (`_ev`) after a purge.
// Everything else the tests check goes through public fields (`data`, `layout`, `on`).
// test/browser/plotly-internals.test.ts is the canary: it fails first after a plotly.js upgrade
// and says what moved.
import type { ElementHandle, Locator } from "playwright-core";

export interface Point {
  x: number;
  y: number;
}

type Figure = Locator | ElementHandle<Element>;

/** Page pixels of data points `points` on a figure's first axes (xaxis, yaxis). */
export async function pagePoints(figure: Figure, points: Point[]): Promise<Point[]> {
  return (figure as Locator).evaluate((gd, points) => {
    type Axis = { _offset: number; l2p(v: number): number };
    const full = (gd as unknown as { _fullLayout: { xaxis: Axis; yaxis: Axis } })._fullLayout;
    const box = gd.getBoundingClientRect();
    return points.map((p) => ({
      x: box.left + full.xaxis._offset + full.xaxis.l2p(p.x),
      y: box.top + full.yaxis._offset + full.yaxis.l2p(p.y),
    }));
  }, points);
}

/** Whether Plotly still holds an event emitter or listeners on the figure (neither after Plotly.purge). */
export async function plotlyListeners(figure: Figure): Promise<{ on: boolean; emitter: boolean }> {
  return (figure as Locator).evaluate((gd) => {
    const events = gd as unknown as { on?: unknown; _ev?: unknown };
    return { on: events.on !== undefined, emitter: events._ev !== undefined };
  });
}

/**
 * What of the internals above a drawn figure lacks, one sentence each; empty when all are there.
 * The canary runs it on a real plotly.js figure.
 */
export async function missingPlotlyInternals(figure: Figure): Promise<string[]> {
  return (figure as Locator).evaluate((gd) => {
    const missing: string[] = [];
    const fig = gd as unknown as { _fullLayout?: Record<string, unknown>; _ev?: unknown };
    if (typeof fig._fullLayout !== "object" || fig._fullLayout === null)
      return ["plotly.js: a drawn figure has no _fullLayout"];
    for (const name of ["xaxis", "yaxis"]) {
      const axis = fig._fullLayout[name] as { _offset?: unknown; l2p?: unknown } | undefined;
      if (typeof axis !== "object" || axis === null) missing.push(`plotly.js: _fullLayout has no ${name}`);
      else {
        if (typeof axis._offset !== "number") missing.push(`plotly.js: _fullLayout.${name}._offset is not a number`);
        if (typeof axis.l2p !== "function") missing.push(`plotly.js: _fullLayout.${name}.l2p is not a function`);
      }
    }
    if (typeof fig._ev !== "object" || fig._ev === null)
      missing.push("plotly.js: a drawn figure has no _ev event emitter");
    return missing;
  });
}
