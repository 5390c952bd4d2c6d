// Comm manager, widget protocol 2.1 and display, observed at the runtime's one outlet.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { installKernelRuntime, KernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import { Widget, display } from "../../kernel-helpers/src/runtime/widget";
import type { Header, JSONObject, OutgoingMessage } from "../../kernel-helpers/src/runtime/messages";

let sent: OutgoingMessage[];
let logged: string[];
let runtime: KernelRuntime;

beforeEach(() => {
  sent = [];
  logged = [];
  runtime = new KernelRuntime((m) => sent.push(m), (t) => logged.push(t));
  installKernelRuntime(runtime);
});
afterEach(() => installKernelRuntime(undefined));

function header(msgType: string, id = `${msgType}-1`): Header {
  return { msg_id: id, session: "front", username: "u", date: "2026-01-01T00:00:00Z", msg_type: msgType, version: "5.3" };
}

/** A front end's comm_msg, handled as the kernel does (outputs attributed to it). */
function frontEnd(commId: string, data: JSONObject, buffers: DataView[] = [], id = "front-msg"): void {
  runtime.withParent(header("comm_msg", id), () => runtime.comms.receiveMsg({ comm_id: commId, data }, buffers));
}

function slider(extra: JSONObject = {}) {
  return new Widget<{ value: number; max: number } & JSONObject>({
    modelName: "IntSliderModel",
    modelModule: "@jupyter-widgets/controls",
    modelModuleVersion: "2.0.0",
    viewName: "IntSliderView",
    viewModule: "@jupyter-widgets/controls",
    viewModuleVersion: "2.0.0",
    state: { value: 3, max: 10, ...extra },
  });
}

test("a widget opens a jupyter.widget comm with state, buffer_paths, buffers and version metadata", () => {
  const data = new Float32Array([0.5, 1.5]);
  const w = slider({ planes: { data, shape: [2] } });
  assert.equal(sent.length, 1);
  const open = sent[0];
  assert.equal(open.msgType, "comm_open");
  assert.equal(open.content.comm_id, w.commId);
  assert.equal(open.content.target_name, "jupyter.widget");
  assert.deepEqual(open.metadata, { version: "2.1.0" });
  const payload = open.content.data as { state: JSONObject; buffer_paths: unknown[] };
  assert.deepEqual(payload.buffer_paths, [["planes", "data"]]);
  assert.equal(payload.state._model_name, "IntSliderModel");
  assert.equal(payload.state._view_module_version, "2.0.0");
  assert.deepEqual(payload.state.planes, { shape: [2] });
  assert.equal(open.buffers[0], data);
});

test("set() sends one update with only the patch and fires change handlers", () => {
  const w = slider();
  const seen: [number, number][] = [];
  w.on("change:value", (v, old) => seen.push([v, old]));
  sent = [];
  w.set({ value: 7 });
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].content, { comm_id: w.commId, data: { method: "update", state: { value: 7 }, buffer_paths: [] } });
  assert.deepEqual(seen, [[7, 3]]);
  assert.equal(w.get("value"), 7);
});

test("a front-end update is echoed first (echo_update, parent = the update) and then reaches change handlers", () => {
  const w = slider();
  const seen: number[] = [];
  w.on("change:value", (v) => {
    seen.push(v);
    w.set({ max: v * 2 });
  });
  sent = [];
  frontEnd(w.commId, { method: "update", state: { value: 9 }, buffer_paths: [] }, [], "upd-42");
  assert.deepEqual(seen, [9]);
  assert.deepEqual(
    sent.map((m) => [m.msgType, (m.content.data as JSONObject).method, m.parentHeader.msg_id]),
    [
      ["comm_msg", "echo_update", "upd-42"],
      ["comm_msg", "update", "upd-42"],
    ],
  );
  assert.deepEqual((sent[0].content.data as JSONObject).state, { value: 9 });
  assert.deepEqual((sent[1].content.data as JSONObject).state, { max: 18 });
});

test("a front end cannot change the model's identity: _model_* and _view_* keys in an update are dropped and logged", () => {
  const w = slider();
  const seen: unknown[] = [];
  w.on("change:value", (v) => seen.push(v));
  sent = [];
  frontEnd(w.commId, { method: "update", state: { value: 5, _model_name: "Evil", _view_module: "x" }, buffer_paths: [] });
  assert.deepEqual(seen, [5]);
  assert.deepEqual((sent[0].content.data as JSONObject).state, { value: 5 }, "only the allowed change is echoed");
  assert.deepEqual(w.splitState().state._model_name, "IntSliderModel");
  assert.equal(w.splitState().state._view_module, "@jupyter-widgets/controls");
  assert.ok(logged.some((l) => l.includes("ignored a front-end change of _model_name")), logged.join("\n"));
});

test("a widget whose state cannot become JSON throws where it is made and leaves no comm behind", () => {
  // The real outlet serialises each message on the spot, as the ZeroMQ wire layer does.
  runtime = new KernelRuntime((m) => void JSON.stringify(m.content), (t) => logged.push(t));
  installKernelRuntime(runtime);
  assert.throws(() => slider({ value: 1n as unknown as number }), /BigInt/);
  assert.deepEqual(runtime.comms.info("jupyter.widget").comms, {}, "no comm_info entry for a comm no front end heard of");
});

test("a front-end update with binary state puts its buffers back as DataViews", () => {
  const w = slider({ planes: { shape: [2] } });
  let got: unknown;
  w.on("change:planes", (v) => (got = v));
  const bytes = new DataView(new Uint8Array([4, 5]).buffer);
  sent = [];
  frontEnd(w.commId, { method: "update", state: { planes: { shape: [2] } }, buffer_paths: [["planes", "data"]] }, [bytes]);
  assert.equal((got as { data: DataView }).data, bytes);
  assert.deepEqual(sent[0].buffers, [bytes], "the echo carries the buffer too");
  assert.deepEqual((sent[0].content.data as JSONObject).buffer_paths, [["planes", "data"]]);
});

test("request_state answers with an update carrying the whole state and its buffers", () => {
  const data = new Uint8Array([1, 2, 3]);
  const w = slider({ data });
  sent = [];
  frontEnd(w.commId, { method: "request_state" });
  assert.equal(sent.length, 1);
  const reply = sent[0].content.data as JSONObject;
  assert.equal(reply.method, "update");
  assert.equal((reply.state as JSONObject).value, 3);
  assert.equal((reply.state as JSONObject)._model_module, "@jupyter-widgets/controls");
  assert.deepEqual(reply.buffer_paths, [["data"]]);
  assert.deepEqual(sent[0].buffers, [data]);
});

test("custom messages both ways", () => {
  const w = slider();
  const got: unknown[] = [];
  w.on("msg", (content, buffers) => got.push(content, buffers.length));
  frontEnd(w.commId, { method: "custom", content: { event: "click", x: 1 } }, [new DataView(new ArrayBuffer(1))]);
  assert.deepEqual(got, [{ event: "click", x: 1 }, 1]);
  sent = [];
  const payload = new Float32Array([1]);
  w.send({ page: 2 }, [payload]);
  assert.deepEqual(sent[0].content.data, { method: "custom", content: { page: 2 } });
  assert.deepEqual(sent[0].buffers, [payload]);
});

test("request_states on jupyter.widget.control lists every live widget with model ids in buffer paths", () => {
  const a = slider({ data: new Uint8Array([1]) });
  const b = slider();
  const closed = slider();
  closed.close();
  runtime.comms.receiveOpen({ comm_id: "ctl", target_name: "jupyter.widget.control", data: {} }, []);
  sent = [];
  frontEnd("ctl", { method: "request_states" });
  assert.equal(sent.length, 1);
  const reply = sent[0].content.data as { method: string; states: Record<string, JSONObject>; buffer_paths: unknown[] };
  assert.equal(reply.method, "update_states");
  assert.deepEqual(Object.keys(reply.states).sort(), [a.commId, b.commId].sort());
  assert.deepEqual(reply.states[a.commId].model_name, "IntSliderModel");
  assert.deepEqual(reply.states[a.commId].model_module_version, "2.0.0");
  assert.deepEqual(reply.buffer_paths, [[a.commId, "state", "data"]]);
  assert.equal(sent[0].buffers.length, 1);
});

test("comm_info lists open comms, filtered by target name", () => {
  const w = slider();
  runtime.comms.receiveOpen({ comm_id: "ctl", target_name: "jupyter.widget.control", data: {} }, []);
  assert.deepEqual(runtime.comms.info("jupyter.widget").comms, { [w.commId]: { target_name: "jupyter.widget" } });
  assert.deepEqual(Object.keys(runtime.comms.info().comms).sort(), [w.commId, "ctl"].sort());
  assert.deepEqual(runtime.comms.info("nothing").comms, {});
  w.close();
  assert.deepEqual(runtime.comms.info("jupyter.widget").comms, {});
});

test("a throwing handler is reported on stderr of the triggering message; later messages still work", () => {
  const w = slider();
  w.on("change:value", () => {
    throw new Error("handler exploded");
  });
  const later: number[] = [];
  w.on("change:max", (v) => later.push(v));
  sent = [];
  frontEnd(w.commId, { method: "update", state: { value: 1 } }, [], "bad-update");
  const err = sent.find((m) => m.msgType === "stream");
  assert.ok(err, "an error stream was published");
  assert.equal(err.content.name, "stderr");
  assert.match(String(err.content.text), /"change:value" handler of IntSliderModel .* threw: Error: handler exploded/);
  assert.equal(err.parentHeader.msg_id, "bad-update");
  frontEnd(w.commId, { method: "update", state: { max: 4 } });
  assert.deepEqual(later, [4]);
});

test("an async handler's rejection is reported too", async () => {
  const w = slider();
  w.on("change:value", async () => {
    throw new Error("later failure");
  });
  sent = [];
  frontEnd(w.commId, { method: "update", state: { value: 2 } });
  await new Promise((r) => setImmediate(r));
  assert.ok(sent.some((m) => m.msgType === "stream" && /later failure/.test(String(m.content.text))));
});

test("malformed and unknown comm messages are logged, not thrown at the kernel", () => {
  const w = slider();
  sent = [];
  frontEnd(w.commId, { method: "update" }); // no state
  frontEnd(w.commId, { method: "no-such-method" });
  assert.equal(sent.filter((m) => m.msgType === "stream").length, 2);
  runtime.comms.receiveMsg({ comm_id: "nope", data: {} }, []);
  assert.match(logged.join("\n"), /comm_msg for unknown comm nope/);
  assert.throws(() => runtime.comms.receiveMsg({ data: {} }, []), /comm_msg without a comm_id/);
});

test("a comm_open for an unknown target is answered with comm_close", () => {
  runtime.comms.receiveOpen({ comm_id: "x", target_name: "some.target", data: {} }, []);
  assert.deepEqual(sent.map((m) => [m.msgType, m.content.comm_id]), [["comm_close", "x"]]);
  assert.deepEqual(runtime.comms.info().comms, {});
});

test("close() sends comm_close, fires close handlers, and later set() fails clearly; front-end close also fires", () => {
  const w = slider();
  let closes = 0;
  w.on("close", () => closes++);
  sent = [];
  w.close();
  w.close();
  assert.deepEqual(sent.map((m) => m.msgType), ["comm_close"]);
  assert.equal(closes, 1);
  assert.throws(() => w.set({ value: 1 }), /cannot set on IntSliderModel .*: the widget is closed/);
  const v = slider();
  let vCloses = 0;
  v.on("close", () => vCloses++);
  runtime.comms.receiveClose({ comm_id: v.commId, data: {} });
  assert.equal(vCloses, 1);
  assert.equal(runtime.widgets.has(v.commId), false);
});

test("display() emits one bundle: widget view 2.1, text/plain always, png and html when given", () => {
  const w = slider();
  sent = [];
  display(w);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].msgType, "display_data");
  const data = sent[0].content.data as JSONObject;
  assert.deepEqual(data["application/vnd.jupyter.widget-view+json"], { model_id: w.commId, version_major: 2, version_minor: 1 });
  assert.equal(typeof data["text/plain"], "string");
  assert.equal(data["image/png"], undefined);
  sent = [];
  display(w, { png: new Uint8Array([137, 80, 78, 71]), html: "<b>x</b>", text: "slider at 3" });
  const full = sent[0].content.data as JSONObject;
  assert.equal(full["image/png"], Buffer.from([137, 80, 78, 71]).toString("base64"));
  assert.equal(full["text/html"], "<b>x</b>");
  assert.equal(full["text/plain"], "slider at 3");
});

test("outside a kernel, a Widget says how to get one", () => {
  installKernelRuntime(undefined);
  assert.throws(() => slider(), /no running convlens kernel.*installKernelRuntime/s);
});
