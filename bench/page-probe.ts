// Injected into the JupyterLab page before it loads: timestamps the moment a cell's
// execute_request leaves the page (WebSocket.send) and the user's change/click, and the first
// frame drawn after the DOM matches a condition (the widget sets data-painted / data-heatmaps
// once Plotly has drawn). All times are epoch ms (performance.timeOrigin + now), so they compare
// with the bench's own Date.now() for websocket frames.

/** A DOM state to wait for: at least `count` matches of `selector`, and optionally one element's exact text. */
export interface Condition {
  selector: string;
  count: number;
  text?: [selector: string, equals: string];
}

export interface ProbeTimes {
  executeSentAt: number | null;
  inputAt: number | null;
  doneAt: number | null;
}

export const PROBE_SCRIPT = `(() => {
  window.__name = (f) => f; // tsx (esbuild keepNames) wraps functions handed to page.evaluate
  const now = () => performance.timeOrigin + performance.now();
  const probe = { executeSentAt: null, inputAt: null, doneAt: null, cond: null };
  window.__convlensBench = probe;
  const decoder = new TextDecoder();
  const head = (data) => {
    if (typeof data === "string") return data.slice(0, 4096);
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    return bytes ? decoder.decode(bytes.subarray(0, 4096)) : "";
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (probe.cond && probe.executeSentAt === null && head(data).includes('"msg_type":"execute_request"')) probe.executeSentAt = now();
    return send.call(this, data);
  };
  // Capture phase: runs before the widget's own handlers.
  for (const type of ["change", "click"]) {
    window.addEventListener(type, () => { if (probe.cond && probe.inputAt === null) probe.inputAt = now(); }, true);
  }
  const met = (c) => {
    if (document.querySelectorAll(c.selector).length < c.count) return false;
    if (!c.text) return true;
    const el = document.querySelector(c.text[0]);
    return !!el && el.textContent === c.text[1];
  };
  let pending = false;
  const check = () => {
    if (!probe.cond || pending || probe.doneAt !== null || !met(probe.cond)) return;
    pending = true;
    // Painted: the first frame after the DOM is complete has been drawn (rAF, then the next task).
    requestAnimationFrame(() => setTimeout(() => {
      pending = false;
      if (probe.cond && met(probe.cond)) probe.doneAt = now(); else check();
    }, 0));
  };
  probe.arm = (cond) => { probe.cond = cond; probe.executeSentAt = null; probe.inputAt = null; probe.doneAt = null; check(); };
  probe.disarm = () => { probe.cond = null; };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-painted", "data-heatmaps", "data-channels"] });
})();`;
