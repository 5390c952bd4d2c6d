"""Comm and widget protocol of the convlens kernel over real ZeroMQ, driven by jupyter_client
the way JupyterLab's widget manager drives it."""
import json
import struct
import uuid

import pytest
from conftest import execute

WIDGET = """
import { Widget, display } from "convlens";
function probe(name: string, extra: Record<string, unknown> = {}) {
  return new Widget<Record<string, any>>({ modelName: "ProbeModel", modelModule: "probe", modelModuleVersion: "1.0.0",
                      state: { name, value: 0, ...extra } });
}
"""


def comm_ids(outputs, msg_type="comm_open"):
    return [m["content"]["comm_id"] for m in outputs if m["msg_type"] == msg_type]


def send_from_front_end(kc, msg_type, content, buffers=None):
    """Sends a signed shell message as a front end would; returns its msg_id."""
    msg = kc.session.send(kc.shell_channel.socket, msg_type, content, buffers=buffers or [])
    return msg["header"]["msg_id"]


def iopub_for(kc, msg_id, timeout=30):
    """iopub messages caused by msg_id, up to its idle status."""
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return out
            continue
        out.append(msg)


def comm_data(messages):
    return [(m["content"]["data"], m["buffers"]) for m in messages if m["msg_type"] == "comm_msg"]


def assert_still_serving(kc):
    reply, outputs = execute(kc, "40 + 2")
    assert reply["status"] == "ok"
    assert any(m["msg_type"] == "execute_result" and m["content"]["data"]["text/plain"] == "42" for m in outputs)


@pytest.fixture(scope="module")
def kc(kernel):
    reply, outputs = execute(kernel, WIDGET)
    assert reply["status"] == "ok", outputs
    return kernel


def test_widget_from_a_cell_arrives_as_comm_open_with_its_buffers_intact(kc):
    reply, outputs = execute(kc, """
const floats = probe("floats", { planes: { data: new Float32Array([1.5, -2, 3.25]), shape: [3] },
                                 list: [1, new Uint8Array([0, 1, 2, 253, 254, 255]).subarray(3)] });
display(floats, { text: "probe widget" });
""")
    assert reply["status"] == "ok", outputs
    [open_msg] = [m for m in outputs if m["msg_type"] == "comm_open"]
    content = open_msg["content"]
    assert content["target_name"] == "jupyter.widget"
    assert open_msg["metadata"] == {"version": "2.1.0"}
    assert content["data"]["buffer_paths"] == [["planes", "data"], ["list", 1]]
    assert content["data"]["state"]["planes"] == {"shape": [3]}
    assert content["data"]["state"]["list"] == [1, None]
    assert content["data"]["state"]["_model_name"] == "ProbeModel"
    assert bytes(open_msg["buffers"][0]) == struct.pack("<3f", 1.5, -2, 3.25)
    assert bytes(open_msg["buffers"][1]) == bytes([253, 254, 255])
    [shown] = [m for m in outputs if m["msg_type"] == "display_data"]
    data = shown["content"]["data"]
    assert data["application/vnd.jupyter.widget-view+json"] == {
        "model_id": content["comm_id"], "version_major": 2, "version_minor": 1}
    assert data["text/plain"] == "probe widget"


def test_front_end_update_reaches_the_handler_and_its_reply_arrives(kc):
    reply, outputs = execute(kc, """
const doubler = probe("doubler");
doubler.on("change:value", (v: number) => doubler.set({ doubled: v * 2 }));
doubler.on("change:blob", (v: DataView) => {
  let sum = 0;
  for (let i = 0; i < v.byteLength; i++) sum += v.getUint8(i);
  doubler.set({ blob_sum: sum, blob_len: v.byteLength });
});
""")
    assert reply["status"] == "ok", outputs
    [comm_id] = comm_ids(outputs)

    msg_id = send_from_front_end(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 21}, "buffer_paths": []}})
    sent = comm_data(iopub_for(kc, msg_id))
    assert [d["method"] for d, _ in sent] == ["echo_update", "update"]
    assert sent[0][0]["state"] == {"value": 21}
    assert sent[1][0]["state"] == {"doubled": 42}

    # binary state from the front end: jupyter_client signs only the JSON frames
    msg_id = send_from_front_end(
        kc, "comm_msg",
        {"comm_id": comm_id, "data": {"method": "update", "state": {}, "buffer_paths": [["blob"]]}},
        buffers=[bytes([1, 2, 3, 250])])
    sent = comm_data(iopub_for(kc, msg_id))
    assert sent[0][0]["method"] == "echo_update" and sent[0][0]["buffer_paths"] == [["blob"]]
    assert bytes(sent[0][1][0]) == bytes([1, 2, 3, 250])
    assert sent[1][0]["state"] == {"blob_sum": 256, "blob_len": 4}

    reply, outputs = execute(kc, 'doubler.get("value")')
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["21"]

    msg_id = send_from_front_end(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
    [(full, _)] = comm_data(iopub_for(kc, msg_id))
    assert full["method"] == "update"
    assert full["state"]["doubled"] == 42 and full["state"]["name"] == "doubler"


def test_request_states_returns_every_live_widget(kc):
    reply, outputs = execute(kc, """
const liveA = probe("liveA", { data: new Int16Array([-1, 2]) });
const liveB = probe("liveB");
const gone = probe("gone");
gone.close();
""")
    assert reply["status"] == "ok", outputs
    live_a, live_b, gone = comm_ids(outputs)
    control = str(uuid.uuid4())
    send_from_front_end(kc, "comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}})
    msg_id = send_from_front_end(kc, "comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
    [(data, buffers)] = comm_data(iopub_for(kc, msg_id))
    assert data["method"] == "update_states"
    assert {live_a, live_b} <= set(data["states"])
    assert gone not in data["states"]
    assert data["states"][live_b]["model_name"] == "ProbeModel"
    assert data["states"][live_b]["state"]["name"] == "liveB"
    index = data["buffer_paths"].index([live_a, "state", "data"])
    assert bytes(buffers[index]) == struct.pack("<2h", -1, 2)
    # every widget still open earlier in this module is listed too
    kc.comm_info(target_name="jupyter.widget")
    open_widgets = set(kc.get_shell_msg(timeout=30)["content"]["comms"])
    assert open_widgets == set(data["states"])


def test_comm_info_is_filtered_by_target_name(kc):
    execute(kc, 'const infoProbe = probe("info");')
    msg_id = kc.comm_info(target_name="jupyter.widget")
    reply = kc.get_shell_msg(timeout=30)
    assert reply["header"]["msg_type"] == "comm_info_reply"
    assert reply["parent_header"]["msg_id"] == msg_id
    comms = reply["content"]["comms"]
    assert comms and all(c["target_name"] == "jupyter.widget" for c in comms.values())
    kc.comm_info(target_name="jupyter.widget.control")
    control = kc.get_shell_msg(timeout=30)["content"]["comms"]
    assert control and all(c["target_name"] == "jupyter.widget.control" for c in control.values())
    kc.comm_info()
    everything = kc.get_shell_msg(timeout=30)["content"]["comms"]
    assert set(everything) == set(comms) | set(control)


def test_malformed_comm_messages_leave_the_kernel_serving(kc):
    reply, outputs = execute(kc, 'const target = probe("target");')
    [comm_id] = comm_ids(outputs)
    for content in [
        {"data": {"method": "update", "state": {}}},  # no comm_id
        {"comm_id": comm_id, "data": "not an object"},
        {"comm_id": "no-such-comm", "data": {"method": "update", "state": {"value": 1}}},
        {"comm_id": comm_id, "data": {"method": "update"}},  # no state
        {"comm_id": comm_id, "data": {"method": "update", "state": {}, "buffer_paths": [["x", "y"]]}},  # no buffer
        {"comm_id": comm_id, "data": {"method": "no_such_method"}},
    ]:
        send_from_front_end(kc, "comm_msg", content)
    send_from_front_end(kc, "comm_open", {"comm_id": "x", "target_name": "unknown.target", "data": {}})
    send_from_front_end(kc, "comm_close", {"comm_id": "never-opened", "data": {}})
    assert_still_serving(kc)


def test_a_message_with_a_bad_signature_is_dropped_and_the_kernel_keeps_serving(kc):
    session = kc.session
    header = session.msg_header("kernel_info_request")
    frames = [session.pack(part) for part in (header, {}, {}, {})]
    kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", b"0" * 64, *frames])
    # the next reply on shell is for the execute, not the forged kernel_info_request
    msg_id = kc.execute("1 + 1")
    reply = kc.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "ok"
    # A correctly signed message with buffers passes (see the update test: only the JSON frames
    # are signed); a signed message whose content was changed afterwards is dropped.
    good = session.msg("kernel_info_request")
    parts = session.serialize(good)
    idx = parts.index(b"<IDS|MSG>")
    parts[idx + 5] = json.dumps({"tampered": True}).encode()
    kc.shell_channel.socket.send_multipart(parts)
    assert_still_serving(kc)


def test_a_throwing_handler_reports_its_error_and_the_kernel_keeps_serving(kc):
    reply, outputs = execute(kc, """
const fragile = probe("fragile");
fragile.on("change:value", (v: number) => { if (v === 13) throw new Error("unlucky value 13"); fragile.set({ seen: v }); });
""")
    [comm_id] = comm_ids(outputs)
    msg_id = send_from_front_end(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 13}}})
    messages = iopub_for(kc, msg_id)
    errors = [m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert any("unlucky value 13" in text and "ProbeModel" in text for text in errors), messages
    assert_still_serving(kc)
    msg_id = send_from_front_end(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 14}}})
    assert [d["state"] for d, _ in comm_data(iopub_for(kc, msg_id))] == [{"value": 14}, {"seen": 14}]


def test_a_comm_message_sent_while_a_cell_waits_is_not_lost(kc):
    reply, outputs = execute(kc, 'const waiter = probe("waiter");')
    [comm_id] = comm_ids(outputs)
    exec_id = kc.execute('const arrived = await new Promise<number>((ok) => waiter.on("change:value", (v: number) => ok(v)));\nconsole.log("arrived", arrived);')
    send_from_front_end(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 77}}})
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != exec_id:
        reply = kc.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok"
    texts = [m["content"]["text"] for m in iopub_for(kc, exec_id) if m["msg_type"] == "stream"]
    assert "arrived 77\n" in texts
