// A widget nobody here wrote, driven by the convlens kernel: ipywidgets 8's own
// IntSlider (@jupyter-widgets/controls 2.0.0, with its LayoutModel and
// SliderStyleModel, as ipywidgets 8 opens them) created from a TypeScript cell,
// rendered by JupyterLab 4 in headless Chromium, moved with the keyboard; the
// kernel sees the new value, and a page reload re-renders the live widget
// from the running kernel (jupyter.widget.control request_states).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cell, cellOutput, openBrowser, openNotebook, runCell, screenshot, waitForKernelIdle, type Browser } from "../support/browser";

let server: JupyterLabServer;
let browser: Browser;

const CREATE_SLIDER = `import { Widget, display } from "convlens";
const view = (name: string, module: string) => ({ viewName: name, viewModule: module, viewModuleVersion: "2.0.0" });
const layout = new Widget({ modelName: "LayoutModel", modelModule: "@jupyter-widgets/base", modelModuleVersion: "2.0.0",
  ...view("LayoutView", "@jupyter-widgets/base"), state: {} });
const style = new Widget({ modelName: "SliderStyleModel", modelModule: "@jupyter-widgets/controls", modelModuleVersion: "2.0.0",
  ...view("StyleView", "@jupyter-widgets/base"), state: { description_width: "", handle_color: null } });
const slider = new Widget<Record<string, unknown>>({ modelName: "IntSliderModel", modelModule: "@jupyter-widgets/controls",
  modelModuleVersion: "2.0.0", ...view("IntSliderView", "@jupyter-widgets/controls"),
  state: { value: 5, min: 0, max: 10, step: 1, description: "level", orientation: "horizontal", readout: true,
           readout_format: "d", continuous_update: true, disabled: false, behavior: "drag-tap",
           layout: "IPY_MODEL_" + layout.commId, style: "IPY_MODEL_" + style.commId } });
display(slider, { text: "IntSlider(value=5)" });`;

const PRINT_VALUE = 'console.log("kernel value=" + slider.get("value"));';

before(async () => {
  server = await startJupyterLab("kernel-widgets");
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function readout(page: Page) {
  return cellOutput(page, 0).locator(".widget-readout");
}

async function nudge(page: Page, presses: number): Promise<void> {
  const handle = cellOutput(page, 0).locator(".noUi-handle");
  await handle.focus();
  for (let i = 0; i < presses; i++) await page.keyboard.press("ArrowRight");
}

async function kernelValue(page: Page, index: number): Promise<string> {
  await runCell(page, index);
  return cellOutput(page, index).innerText();
}

test("an ipywidgets IntSlider made in a TypeScript cell renders, moves, and the kernel sees its value", async () => {
  const { page } = browser;
  const nb = writeNotebook(server, "slider.ipynb", [CREATE_SLIDER, PRINT_VALUE, PRINT_VALUE]);
  await openNotebook(page, server, nb);
  await runCell(page, 0);
  await readout(page).waitFor({ timeout: 60_000 });
  assert.equal((await readout(page).innerText()).trim(), "5", browser.consoleLog());
  await nudge(page, 2);
  await page.waitForFunction(() => document.querySelector(".widget-readout")?.textContent?.trim() === "7");
  await screenshot(page, "kernel-widgets-slider-moved");
  const text = await kernelValue(page, 1);
  assert.match(text, /kernel value=7/, `output was: ${text}\n${browser.consoleLog()}`);
});

test("reloading the page re-renders the live slider from the running kernel, still connected", async () => {
  const { page } = browser;
  // Saved outputs hold only the view's model id; the state must come from the kernel.
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  await page.waitForFunction(() => !document.querySelector(".jp-mod-dirty"), undefined, { timeout: 30_000 });
  await page.reload();
  await cell(page, 0).waitFor({ timeout: 60_000 });
  await waitForKernelIdle(page);
  await readout(page).waitFor({ timeout: 60_000 });
  assert.equal((await readout(page).innerText()).trim(), "7", `after reload\n${browser.consoleLog()}`);
  await screenshot(page, "kernel-widgets-after-reload");
  await nudge(page, 1);
  await page.waitForFunction(() => document.querySelector(".widget-readout")?.textContent?.trim() === "8");
  const text = await kernelValue(page, 2);
  assert.match(text, /kernel value=8/, `output was: ${text}\n${browser.consoleLog()}`);
});
