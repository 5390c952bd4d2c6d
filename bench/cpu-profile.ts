// A Chromium CPU profile (DevTools protocol) of one gesture, boiled down to where the time went:
// self time per script (plotly.js, the widget, JupyterLab, …) and the hottest functions.
import { writeFileSync } from "node:fs";
import type { Page } from "playwright-core";

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which script a function belongs to, by the bundle it came from. */
function scriptOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  if (/plotly/i.test(frame.url) || /convlens-widgets/.test(frame.url)) {
    return /plotly/i.test(frame.url) ? "plotly.js" : "convlens-widgets (incl. bundled plotly.js)";
  }
  return "JupyterLab + other";
}

export async function profileGesture(
  page: Page,
  file: string,
  gesture: () => Promise<unknown>,
  what = "such switch",
): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  await gesture();
  const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: Profile };
  await cdp.detach();
  writeFileSync(file, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const perScript = new Map<string, number>();
  const perFunction = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame) return;
    const script = scriptOf(frame);
    perScript.set(script, (perScript.get(script) ?? 0) + dt);
    if (!frame.functionName.startsWith("(")) {
      const name = `${frame.functionName || "(anonymous)"}`;
      perFunction.set(name, (perFunction.get(name) ?? 0) + dt);
    }
  });
  perScript.delete("(idle)");
  const busy = [...perScript.values()].reduce((a, b) => a + b, 0);
  // Shares, not ms: the profiler slows the page down, so its absolute times overstate.
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${k} ${((100 * v) / busy).toFixed(0)} %`)
      .join(", ");
  return `Chromium CPU profile of one ${what}, share of busy time ("(program)" = the renderer outside JS: style, layout, paint, image decode): ${top(perScript, 6)}; hottest JS functions: ${top(perFunction, 5)}`;
}
