// The widget's CSS, added once to the page (a string here keeps the build free of CSS loaders).
const CSS = `
.convlens-view { font-family: var(--jp-ui-font-family, sans-serif); font-size: 12px; color: var(--jp-ui-font-color1, #222); }
.convlens-title { font-weight: 600; font-size: 13px; margin: 2px 0 4px; }
.convlens-status { color: var(--jp-warn-color0, #b35900); min-height: 1em; margin: 2px 0; white-space: pre-wrap; }
.convlens-explorer, .convlens-controls, .convlens-tabs { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
.convlens-tab[aria-selected="true"] { font-weight: 600; border-bottom: 2px solid var(--jp-brand-color1, #1976d2); }
.convlens-panel { margin: 6px 0 14px; }
.convlens-panel-header { margin: 2px 0; }
.convlens-layer-name { font-weight: 600; }
.convlens-body { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.convlens-side { display: flex; flex-direction: column; gap: 6px; width: 240px; }
.convlens-image-frame { position: relative; display: inline-block; line-height: 0; border: 1px solid #ccc; align-self: flex-start; }
.convlens-input-image { display: block; width: 224px; height: auto; }
.convlens-overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
.convlens-rf-box { position: absolute; box-sizing: border-box; border: 2px solid #ff1744; box-shadow: 0 0 0 1px rgba(255, 255, 255, 0.8); pointer-events: none; }
.convlens-overlay-label { display: inline-flex; align-items: center; gap: 3px; }
.convlens-readout { font-family: var(--jp-code-font-family, monospace); min-height: 2.4em; overflow-wrap: anywhere; }
.convlens-large-title { font-weight: 600; }
.convlens-tile-titles { position: absolute; left: 0; top: 0; pointer-events: none; }
.convlens-tile-title { position: absolute; transform: translate(-50%, -50%); font-size: 11px; line-height: 1; white-space: nowrap; }
.convlens-tooltip { position: absolute; z-index: 10; pointer-events: none; width: max-content; box-sizing: border-box; overflow-wrap: anywhere; padding: 3px 6px; border-radius: 3px;
  background: rgba(30, 30, 30, 0.88); color: #fff; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
`;

let added = false;

export function ensureStyles(): void {
  if (added || typeof document === "undefined") return;
  const style = document.createElement("style");
  style.dataset.convlens = "styles";
  style.textContent = CSS;
  document.head.append(style);
  added = true;
}
