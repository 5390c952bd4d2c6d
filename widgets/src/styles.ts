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
.convlens-side-by-side { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.convlens-linked-panes:not(.convlens-side-by-side) { display: flex; flex-direction: column; gap: 8px; }
.convlens-linked-pane-title { font-weight: 600; margin: 2px 0; }
.convlens-linked .convlens-side { width: 180px; }
.convlens-linked .convlens-input-image { width: 170px; }
.convlens-link-tile { position: absolute; z-index: 5; box-sizing: border-box; outline: 2px solid #ff1744; pointer-events: none; }
.convlens-link-h, .convlens-link-v { position: absolute; background: rgba(255, 23, 68, 0.6); }
.convlens-link-h { left: 0; right: 0; height: 1px; margin-top: -0.5px; }
.convlens-link-v { top: 0; bottom: 0; width: 1px; margin-left: -0.5px; }
.convlens-link-unit { position: absolute; width: 7px; height: 7px; transform: translate(-50%, -50%); border: 2px solid #ff1744; border-radius: 50%;
  box-shadow: 0 0 0 1px rgba(255, 255, 255, 0.9); }
/* maximized panel (maximized-panel.ts) */
.convlens-progress-line { display: flex; gap: 8px; align-items: center; margin: 6px 0; }
.convlens-progress { width: 240px; }
.convlens-max-gallery { display: grid; gap: 10px; align-items: start; }
.convlens-max-card { display: flex; flex-direction: column; align-items: center; gap: 2px; max-width: 132px; text-align: center; }
.convlens-max-pick { padding: 2px; border: 2px solid transparent; background: none; cursor: pointer; line-height: 0; }
.convlens-max-pick[aria-pressed="true"] { border-color: var(--jp-brand-color1, #1976d2); }
.convlens-max-image { display: block; }
.convlens-pixelated { image-rendering: pixelated; }
.convlens-max-label { font-weight: 600; }
.convlens-max-activation, .convlens-max-samples-label { font-size: 11px; color: var(--jp-ui-font-color2, #666); }
.convlens-max-samples { display: flex; flex-wrap: wrap; gap: 3px; align-items: flex-end; justify-content: center; }
.convlens-max-samples-label { width: 100%; }
.convlens-max-sample { display: inline-flex; flex-direction: column; align-items: center; font-size: 10px; }
.convlens-max-thumb { width: 32px; height: 32px; object-fit: cover; }
/* attribution panel: the map over the image, its colour legend, the top-k classes as bars */
.convlens-attribution-picture { display: flex; flex-direction: column; gap: 4px; width: 226px; }
.convlens-attribution-class { font-weight: 600; }
.convlens-legend-bar { height: 10px; border: 1px solid #ccc; }
.convlens-legend-ends { display: flex; justify-content: space-between; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.convlens-legend-measure { color: var(--jp-ui-font-color2, #666); font-size: 11px; }
.convlens-classes { display: flex; flex-direction: column; gap: 3px; min-width: 260px; max-width: 420px; }
.convlens-class { display: grid; grid-template-columns: 2.2em minmax(6em, 1fr) 120px 4.5em; align-items: center; gap: 6px; padding: 2px 4px;
  border: 1px solid transparent; border-radius: 3px; background: none; color: inherit; font: inherit; text-align: left; cursor: pointer; }
.convlens-class:hover { border-color: var(--jp-border-color1, #bbb); }
.convlens-class-shown { border-color: var(--jp-brand-color1, #1976d2); background: rgba(25, 118, 210, 0.08); font-weight: 600; cursor: default; }
.convlens-class-pending { border-style: dashed; border-color: var(--jp-brand-color1, #1976d2); }
.convlens-class-rank { color: var(--jp-ui-font-color2, #666); text-align: right; }
.convlens-class-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.convlens-class-track { height: 10px; background: #eee; border-radius: 2px; overflow: hidden; }
.convlens-class-fill { display: block; height: 100%; background: #6a8fc7; }
.convlens-class-shown .convlens-class-fill { background: var(--jp-brand-color1, #1976d2); }
.convlens-class-prob { font-family: var(--jp-code-font-family, monospace); text-align: right; }
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
