// JupyterLab 4 in headless Chromium runs a TypeScript cell on the convlens kernel,
// and tfjs-node inside it is on the native TensorFlow backend.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startJupyterLab, writeNotebook, type JupyterLabServer } from "../support/jupyterlab";
import { cellOutput, openBrowser, openNotebook, runCells, screenshot, type Browser } from "../support/browser";

let server: JupyterLabServer;
let browser: Browser;

before(async () => {
  server = await startJupyterLab("smoke");
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a TypeScript cell runs in JupyterLab on tfjs-node's TensorFlow backend", async () => {
  const nb = writeNotebook(server, "smoke.ipynb", [
    'import * as tf from "@tensorflow/tfjs-node";\nconst answer: number = 6 * 7;\nconsole.log(`answer=${answer} backend=${tf.getBackend()}`);',
  ]);
  await openNotebook(browser.page, server, nb);
  await runCells(browser.page, 1);
  const text = await cellOutput(browser.page, 0).innerText();
  await screenshot(browser.page, "smoke-typescript-cell");
  assert.match(text, /answer=42 backend=tensorflow/, `output was: ${text}\n${browser.consoleLog()}`);
});
