// Headless Debian Chromium driven by playwright-core, and the few JupyterLab
// gestures the browser tests need: open a notebook, run a cell, read outputs.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { ARTIFACTS, ROOT, type JupyterLabServer } from "./jupyterlab";
import { pagePoints } from "./plotly";

export const CHROMIUM = process.env.CONVLENS_CHROMIUM ?? "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Everything the page logged (console + page errors), for failure messages. */
  consoleLog(): string;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "convlens-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const lines: string[] = [];
  const watch = (p: Page) => {
    p.on("console", (m) => lines.push(`[${m.type()}] ${m.text()}`));
    p.on("pageerror", (e) => lines.push(`[pageerror] ${e.message}`));
  };
  watch(page);
  context.on("page", watch);
  return {
    context,
    page,
    consoleLog: () => lines.join("\n"),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A blank page in a fresh browser with `entry` (TypeScript importing from the checkout, e.g. the
 * widgets' renderers and plotly.js, putting what the test needs on window) bundled by esbuild.
 */
export async function openBundledPage(entry: string, body = "<body></body>"): Promise<Browser> {
  const bundle = await build({ stdin: { contents: entry, resolveDir: ROOT, loader: "ts" }, bundle: true, write: false, format: "iife", logLevel: "silent" });
  const browser = await openBrowser();
  await browser.page.setContent(`<!doctype html><html>${body}</html>`);
  // tsx compiles the tests with esbuild's keepNames, so functions passed to page.evaluate call __name.
  await browser.page.addScriptTag({ content: "window.__name = (f) => f;" });
  await browser.page.addScriptTag({ content: bundle.outputFiles[0].text });
  return browser;
}

/** Opens a notebook in JupyterLab and waits until its kernel is idle. */
export async function openNotebook(page: Page, server: JupyterLabServer, path: string): Promise<void> {
  await page.goto(`${server.url}/lab/tree/${encodeURI(path)}?token=${server.token}`);
  await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor({ timeout: 60_000 });
  await waitForKernelIdle(page);
}

/** Waits for the status bar's "<kernel> | Idle": the kernel is started, connected and not busy. */
export async function waitForKernelIdle(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll(".jp-StatusBar-TextItem")).some((e) => /\| Idle$/.test(e.textContent ?? "")),
    undefined,
    { timeout },
  );
}

export function cell(page: Page, index: number): Locator {
  return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index);
}

export function cellOutput(page: Page, index: number): Locator {
  return cell(page, index).locator(".jp-OutputArea");
}

/** Runs one code cell (selected in command mode) and waits for it to finish. */
export async function runCell(page: Page, index: number, timeout = 120_000): Promise<void> {
  const target = cell(page, index);
  const prompt = target.locator(".jp-InputArea-prompt");
  const before = (await prompt.textContent()) ?? "";
  await prompt.click();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Enter");
  // The prompt goes "[ ]:" or "[n]:" -> "[*]:" -> "[n+1]:".
  await page.waitForFunction(
    ({ i, prev }) => {
      const cells = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell");
      const text = cells[i]?.querySelector(".jp-InputArea-prompt")?.textContent ?? "";
      return /\[\d+\]/.test(text) && text !== prev;
    },
    { i: index, prev: before },
    { timeout },
  );
}

/** Runs cells 0..count-1 in order. */
export async function runCells(page: Page, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await runCell(page, i);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/**
 * Moves the mouse onto source (row, col) of tile `tile` of a convlens grid (one heatmap mosaic of a
 * page's tiles), in one jump (Plotly throttles hover events), to the whole pixel nearest the cell's
 * middle: the page sees whole-pixel mouse positions, and a 224-row map has a cell every ~1.2 px.
 */
export async function hoverGridCell(page: Page, grid: Locator, tile: number, row: number, col: number): Promise<void> {
  await grid.scrollIntoViewIfNeeded();
  const cell = await grid.evaluate(
    (gd, { tile, row, col }) => {
      type Geometry = { cellOf(t: number, row: number, col: number): { x: number; y: number } };
      return (gd as unknown as { convlensGrid: { geometry: Geometry } }).convlensGrid.geometry.cellOf(tile, row, col);
    },
    { tile, row, col },
  );
  const [{ x, y }] = await pagePoints(grid, [cell]);
  await page.mouse.move(Math.round(x) + 0.5, Math.round(y) + 0.5);
}
