// Injected into the JupyterLab page before it loads: timestamps the moment a cell's
// execute_request leaves the page (WebSocket.send), the user's change/click, every kernel
// message arriving on the kernel websocket (read in the page: Playwright's own websocket events
// come late, after the frame is copied through the DevTools protocol), and the first frame drawn
// after the DOM matches a condition (the widget sets data-painted / data-heatmaps once Plotly
// has drawn). All times are the page's clock, in ms.

/** A DOM state to wait for: at least `count` matches of `selector`, and optionally one element's exact text. */
export interface Condition {
  selector: string;
  count: number;
  text?: [selector: string, equals: string];
}

/** One message the page received on the kernel websocket. */
export interface WireFrame {
  at: number;
  msgType: string;
  /** comm_id of comm_open / comm_msg / comm_close, else null */
  commId: string | null;
  /** for comm_open: the model name in data.state, else null */
  modelName: string | null;
  /** the whole frame */
  bytes: number;
  /** the binary buffers' sizes */
  buffers: number[];
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
  // jupyter_server's "v1.kernel.websocket.jupyter.org" frames: an offset count, the offsets, then
  // channel, header, parent_header, metadata, content and the binary buffers as byte ranges.
  const describe = (data) => {
    let header, content, bytes, buffers = [];
    if (typeof data === "string") {
      const msg = JSON.parse(data);
      header = msg.header; content = msg.content; bytes = data.length;
    } else if (data instanceof ArrayBuffer) {
      const view = new DataView(data);
      const count = Number(view.getBigUint64(0, true));
      const offsets = Array.from({ length: count }, (_, i) => Number(view.getBigUint64(8 * (i + 1), true)));
      const part = (i) => JSON.parse(decoder.decode(new Uint8Array(data, offsets[i], offsets[i + 1] - offsets[i])));
      header = part(1); content = part(4); bytes = data.byteLength;
      buffers = offsets.slice(5, -1).map((start, i) => offsets[6 + i] - start);
    } else return null;
    const state = content && content.data && content.data.state;
    return {
      at: now(), msgType: header.msg_type, bytes, buffers,
      commId: typeof content.comm_id === "string" ? content.comm_id : null,
      modelName: header.msg_type === "comm_open" && state && typeof state._model_name === "string" ? state._model_name : null,
    };
  };
  probe.frames = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      // Added before JupyterLab's onmessage is set, so it runs first: the arrival time.
      if (String(args[0]).includes("/api/kernels/")) this.addEventListener("message", (e) => {
        try { const f = describe(e.data); if (f) probe.frames.push(f); } catch (error) { console.warn("convlens bench probe:", error); }
        if (probe.frames.length > 5000) probe.frames.splice(0, 1000);
      });
    }
  };
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
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
